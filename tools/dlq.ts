import { parseArgs } from "node:util";
import { loadConfig, type Config } from "../functions/config";
import type { DeadLetterBackend, DeadLetterView } from "./dead-letters";
import { localBackend } from "./dlq-local";
import { stageQueues, type SqsQueues } from "./dlq-sqs";
import { stageBackend } from "./dlq-stage";

/**
 * `npm run dlq -- <verb>`: list, redrive or purge dead letters. Local mode's store by default
 * (under BRIDGE_DATA_DIR); a deployed stage's SQS queues with `--stage <stage>` (URLs from the
 * outputs `sst deploy` writes) or `--queue-url` / `--dead-letter-queue-url`.
 */

const USAGE = `Usage: npm run dlq -- <verb> [options]

Verbs:
  list [--json]                          one line per dead letter (--json: a JSON array)
  redrive [--renormalise] [--event <id>] put dead letters back on the queue; --renormalise rebuilds
                                         each upsert from the kept event with today's settings
  purge --yes                            delete every dead letter

Where (default: local mode's queue under BRIDGE_DATA_DIR, default .bridge):
  --stage <stage>                        a deployed stage: queue URLs and state table from .sst/outputs.json
  --queue-url <url> --dead-letter-queue-url <url> [--state-table <name>]
                                         a deployed stage's queues (and its state table, where
                                         letters wait for a uid), given directly`;

class UsageError extends Error {}


function line(letter: DeadLetterView): string {
  const fullstory = letter.status !== undefined ? ` fullstory=${letter.status}${letter.code ? `/${letter.code}` : ""}` : "";
  const detail = letter.message ? ` "${letter.message}"` : "";
  return [
    letter.id,
    letter.source ?? "?",
    letter.event_type ?? "?",
    letter.event_id ?? "?",
    `uid=${letter.uid ?? "-"}`,
    letter.reason,
    `attempts=${letter.attempts}`,
    `first_failed_at=${letter.first_failed_at}${fullstory}${detail}`,
  ].join("  ");
}

async function run(argv: string[], out: (text: string) => void): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean" },
        renormalise: { type: "boolean" },
        event: { type: "string" },
        yes: { type: "boolean" },
        stage: { type: "string" },
        "queue-url": { type: "string" },
        "dead-letter-queue-url": { type: "string" },
        "state-table": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values: o, positionals } = parsed;
  if (o.help) return out(USAGE);
  const [verb, ...extra] = positionals;
  if (!verb || extra.length > 0) throw new UsageError("Expected one verb: list, redrive or purge.");
  const allowed: Record<string, string[]> = { list: ["json"], redrive: ["renormalise", "event"], purge: ["yes"] };
  const flags = allowed[verb];
  if (!flags) throw new UsageError(`Unknown verb "${verb}".`);
  const misplaced = ["json", "renormalise", "event", "yes"].filter((f) => !flags.includes(f) && o[f as keyof typeof o] !== undefined);
  if (misplaced.length > 0) throw new UsageError(`--${misplaced.join(", --")} does not apply to ${verb}.`);
  if (verb === "purge" && !o.yes) throw new UsageError("purge deletes every dead letter: add --yes to confirm.");
  if (o.stage && (o["queue-url"] || o["dead-letter-queue-url"])) throw new UsageError("Give either --stage or the queue URLs, not both.");
  if (o["queue-url"] && !o["dead-letter-queue-url"]) throw new UsageError("--queue-url needs --dead-letter-queue-url.");

  if (o["state-table"] && !o["dead-letter-queue-url"]) throw new UsageError("--state-table goes with --queue-url and --dead-letter-queue-url.");

  const config: Config = loadConfig();
  const stage: SqsQueues | undefined = o.stage
    ? stageQueues(o.stage)
    : o["dead-letter-queue-url"]
      ? { queueUrl: o["queue-url"], deadLetterQueueUrl: o["dead-letter-queue-url"], ...(o["state-table"] ? { stateTable: o["state-table"] } : {}) }
      : undefined;
  const backend: DeadLetterBackend = stage ? stageBackend(stage) : localBackend(config.dataDir);
  try {
    if (verb === "list") {
      const { letters, note } = await backend.list();
      if (o.json) out(JSON.stringify(letters, null, 2));
      else out(letters.length === 0 ? "No dead letters." : [`${letters.length} dead letter(s):`, ...letters.map(line)].join("\n"));
      if (note) process.stderr.write(`${note}\n`);
    } else if (verb === "redrive") {
      const outcomes = await backend.redrive({ renormalise: o.renormalise ?? false, eventId: o.event, config });
      const moved = outcomes.filter((r) => r.redriven).length;
      for (const r of outcomes) out(`${r.redriven ? "redriven" : "kept    "}  ${r.id}  ${r.event_id ?? "?"}${r.why ? `  (${r.why})` : ""}`);
      out(`${moved} redriven, ${outcomes.length - moved} kept.`);
      if (o.event && outcomes.length === 0) throw new Error(`no dead letter of event ${o.event} is waiting: every dead letter was looked at.`);
    } else {
      out(`Purged ${await backend.purge()} dead letter(s).`);
    }
  } finally {
    backend.close();
  }
}

run(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`dlq: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
