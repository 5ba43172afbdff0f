import { parseArgs } from "node:util";
import { formatReport, runSoak, type SoakMode } from "./core";

/**
 * `npm run soak`: the full accounting soak, SQS mode then local mode, 5 000 events across 200 uids
 * each by default. Prints the counts; exits 1 when a check fails. Options: `--events`, `--uids`,
 * `--mode sqs|local|both`, `--seed` (to replay a run's fault sequence), `--deadline-seconds`.
 */
const { values } = parseArgs({
  options: {
    events: { type: "string", default: "5000" },
    uids: { type: "string", default: "200" },
    mode: { type: "string", default: "both" },
    seed: { type: "string" },
    "deadline-seconds": { type: "string", default: "240" },
  },
});

const modes: SoakMode[] = values.mode === "both" ? ["sqs", "local"] : [values.mode as SoakMode];
if (!modes.every((m) => m === "sqs" || m === "local")) {
  process.stderr.write(`--mode must be sqs, local or both, not ${values.mode}\n`);
  process.exit(2);
}

let failed = false;
for (const mode of modes) {
  const report = await runSoak({
    mode,
    events: Number(values.events),
    uids: Number(values.uids),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    deadlineMs: Number(values["deadline-seconds"]) * 1000,
  });
  process.stdout.write(`${formatReport(report)}\n`);
  failed ||= report.problems.length > 0;
}
process.exit(failed ? 1 : 0);
