import { parseArgs } from "node:util";
import { ErrorCode, isBridgeError } from "../../functions/errors";
import { checkKeyRegion } from "../../functions/fullstory/region";
import { stripeApiWithKey } from "../../functions/sources/stripe/api";
import { CheckpointMismatch, defaultCheckpointPath } from "./checkpoint";
import { createClerkApi } from "./clerk-api";
import { clerkBackfillSource } from "./clerk";
import { MAX_JOB_USERS, createFullstoryBatch } from "./fullstory-batch";
import { createProgress } from "./progress";
import { type Waits } from "./retry";
import { runBackfill } from "./run";
import type { BackfillSource } from "./source";
import { stripeBackfillSource } from "./stripe";
import { formatSummary } from "./summary";
import { fullstoryKey, localTarget, secretGetter, stageTarget, type Target } from "./target";

export const USAGE = `Usage: npm run backfill -- <stripe|clerk> [options]

Puts every existing Stripe customer (with its current subscription and last payment) or Clerk user
on its Fullstory user, with exactly the properties the webhooks write, through Fullstory's batch
import. Resumable: run the same command again after an interruption or a failure.

Options:
  --stage <stage>      a deployed stage: its settings, its keys from SSM and its state table (from
                       .sst/outputs.json), read with your AWS credentials. Default: local settings
                       (the environment, and the identity directory in BRIDGE_DATA_DIR)
  --dry-run            print each upsert it would send (one JSON line each) and send nothing, learn
                       nothing, keep no checkpoint; no Fullstory key needed
  --limit <n>          stop after n customers (users)
  --since <date>       only customers (users) created at or after <date> (2024-01-31, or a full
                       ISO 8601 time such as 2024-01-31T12:00:00Z)
  --job-size <n>       users per Fullstory import job (default 5000, at most ${MAX_JOB_USERS})
  --checkpoint <file>  where progress is kept (default .backfill/<source>-<stage or local>.json)
  --restart            start from the beginning, discarding the checkpoint
  --json               print the summary as one JSON object
  -h, --help           this help

Keys: Fullstory's (FULLSTORY_API_KEY or _PARAMETER), and Stripe's restricted read-only key
(STRIPE_API_KEY or _PARAMETER) or Clerk's secret key (CLERK_SECRET_KEY or _PARAMETER); on a stage,
the stage's SSM parameters. Exit status: 0 done, 1 failed (resumable), 2 usage, 130 interrupted
(Ctrl-C: stops after the current page; resumable).`;

/** Users per job unless --job-size says otherwise (docs/backfill.md says why). */
export const DEFAULT_JOB_SIZE = 5_000;
/** How long one call may keep retrying (rate limits, outages) before the run stops, resumable. */
const RETRY_BUDGET_MS = 15 * 60_000;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (the progress line redraws in place). */
  tty: boolean;
  /** Aborted on Ctrl-C. */
  stop: AbortController;
  /** Tests and the benchmark: the first wait before polling a job, and the checkpoint's `.sst/outputs.json`. */
  firstPollMs?: number;
  outputsFile?: string;
}

const positiveInt = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive whole number, not "${value}".`);
  return n;
};

/** `2024-01-31` (midnight UTC) or a full ISO 8601 time with its offset. */
function sinceDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--since must be a date (2024-01-31) or an ISO 8601 time (2024-01-31T12:00:00Z), not "${value}".`);
  return new Date(ms);
}

/** A source's provider side on a target: the source, a check that its key can be read, and its clean-up. */
interface Built {
  source: BackfillSource;
  /** Reads the key (from SSM on a stage), so a missing one stops the run before anything is read. */
  check: () => Promise<unknown>;
  close: () => Promise<void>;
  /** What the key is, for the hint when its SSM parameter is missing. */
  key: string;
}

/**
 * The sources the backfill knows, each built from the target's settings, or an Error naming the
 * setting to make. A new source is its file in tools/backfill/ and one entry here.
 */
const SOURCES: Readonly<Record<"stripe" | "clerk", (target: Target, waits: Waits) => Built>> = {
  stripe({ config, parameters }, waits) {
    if (!config.stripeApi) {
      throw new Error(
        "The Stripe backfill reads Stripe with a restricted read-only key (Read on Customers, Subscriptions and Invoices): set STRIPE_API_KEY, or STRIPE_API_KEY_PARAMETER naming an SSM parameter holding it.",
      );
    }
    const getKey = secretGetter(config.stripeApi.key, parameters);
    const api = stripeApiWithKey(getKey, config.stripeApi.url);
    const source = stripeBackfillSource({ api, uidKeys: config.stripeUidMetadataKeys, waits });
    return { source, check: getKey, close: async () => undefined, key: "Stripe's restricted read-only key (rk_live_…)" };
  },
  clerk({ config, parameters, keySettings }, waits) {
    if (!config.clerkApi) {
      throw new Error("The Clerk backfill reads Clerk's Backend API with the instance's secret key: set CLERK_SECRET_KEY, or CLERK_SECRET_KEY_PARAMETER naming an SSM parameter holding it.");
    }
    const getKey = secretGetter(config.clerkApi.key, parameters);
    const api = createClerkApi({ secretKey: getKey, keySetting: keySettings.clerk, apiUrl: config.clerkApi.url });
    return { source: clerkBackfillSource({ api, config, waits }), check: getKey, close: () => api.close(), key: "Clerk's secret key (sk_live_…)" };
  },
};
const isSource = (name: string | undefined): name is keyof typeof SOURCES => name !== undefined && Object.hasOwn(SOURCES, name);

/** A missing SSM parameter, with the command that puts it. */
function parameterHint(err: unknown, what: string): Error {
  if (isBridgeError(err, ErrorCode.ParameterNotFound)) {
    const name = /parameter (\S+)/.exec(err.message)?.[1] ?? "<name>";
    return new Error(`${err.message} Put ${what} there: aws ssm put-parameter --type SecureString --name ${name} --value '…'`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * `npm run backfill -- <source> [options]`: parses the arguments, opens the target, runs the
 * backfill with a progress line on stderr, and prints the summary. Resolves with the exit status.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stage: { type: "string" },
        "dry-run": { type: "boolean" },
        limit: { type: "string" },
        since: { type: "string" },
        "job-size": { type: "string" },
        checkpoint: { type: "string" },
        restart: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [name, ...extra] = positionals;
  const known = Object.keys(SOURCES).join(" and ");
  if (!isSource(name)) throw new UsageError(name ? `Unknown source "${name}": backfill knows ${known}.` : `Name a source: ${known}.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  const jobSize = positiveInt("job-size", o["job-size"]) ?? DEFAULT_JOB_SIZE;
  if (jobSize > MAX_JOB_USERS) throw new UsageError(`--job-size is at most ${MAX_JOB_USERS} (Fullstory's limit per job).`);
  const limit = positiveInt("limit", o.limit);
  const since = sinceDate(o.since);
  const dryRun = o["dry-run"] ?? false;
  if (dryRun && o.restart) throw new UsageError("--dry-run keeps no checkpoint: --restart does not apply.");

  const target = o.stage ? stageTarget(o.stage, io.env, io.outputsFile) : localTarget(io.env, { learn: !dryRun });
  const waits: Waits = {
    signal: io.stop.signal,
    budgetMs: RETRY_BUDGET_MS,
    onWait: (what, ms) => progress.note(`${what}: waiting ${(ms / 1000).toFixed(1)} s`),
  };
  const built = SOURCES[name](target, waits);
  const progress = createProgress({ write: io.stderr, tty: io.tty, noun: `${built.source.noun}s` });
  for (const note of target.notes) progress.note(note);
  try {
    await built.check().catch((err: unknown) => {
      throw parameterHint(err, built.key);
    });
    const getKey = fullstoryKey(target);
    if (!dryRun && !getKey) throw new Error("Set FULLSTORY_API_KEY (or FULLSTORY_API_KEY_PARAMETER) to send, or add --dry-run to see what would be sent.");
    const { apiUrl, region } = target.config.fullstory;
    if (!dryRun && getKey) {
      const key = await getKey().catch((err: unknown) => {
        throw parameterHint(err, "the Fullstory API key");
      });
      // The data-residency guard before anything is read: nothing would be sent anyway.
      checkKeyRegion(key, region);
    }
    const batch =
      dryRun || !getKey ? undefined : createFullstoryBatch({ apiUrl, getApiKey: getKey, keySetting: target.keySettings.fullstory, ...(region ? { region } : {}), waits });
    const checkpointPath = o.checkpoint ?? defaultCheckpointPath(name, target.where);
    const state = target.identityDirectory();
    progress.note(
      `Backfill of ${name} (${target.label})${dryRun ? ", dry run" : ""}: ${dryRun ? "nothing is sent" : `to ${apiUrl} (key: ${target.keySettings.fullstory}), checkpoint ${checkpointPath}`}`,
    );
    try {
      const summary = await runBackfill(
        {
          source: built.source,
          ...(batch ? { batch } : {}),
          ...(state ? { state } : {}),
          checkpointPath,
          target: target.label,
          progress,
          stop: io.stop,
          waits,
          print: (line) => io.stdout(`${line}\n`),
          ...(io.firstPollMs === undefined ? {} : { firstPollMs: io.firstPollMs }),
        },
        { dryRun, jobSize, restart: o.restart ?? false, ...(limit === undefined ? {} : { limit }), ...(since ? { since } : {}) },
      );
      progress.finish();
      io.stdout(`${o.json ? JSON.stringify(summary) : formatSummary(summary, built.source.noun, built.source.uidHint)}\n`);
      return summary.outcome === "complete" ? 0 : summary.outcome === "interrupted" ? 130 : 1;
    } finally {
      await batch?.close();
    }
  } catch (err) {
    if (err instanceof CheckpointMismatch) throw new UsageError(err.message);
    throw err;
  } finally {
    await built.close();
    target.close();
  }
}
