import { parseArgs } from "node:util";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SQSClient } from "@aws-sdk/client-sqs";
import { loadConfig } from "../functions/config";
import { createParameterStore } from "../functions/parameters";
import { stageSettings } from "../stacks/settings";
import { STAGES } from "../stacks/stages";
import { queueRegion, stageQueues } from "./dlq-sqs";
import { cloudWatchReader } from "./status-cloudwatch";
import { localStatus } from "./status-local";
import { formatStatus, type StatusReport } from "./status-report";
import { stageStatus } from "./status-stage";

/**
 * `npm run status -- [--stage <stage>] [--json]`: one screen on how the bridge is doing. Locally:
 * the store under BRIDGE_DATA_DIR and the running bridge's counts. For a stage: its queues (from
 * `.sst/outputs.json`), dead letters, the last hour's metrics and firing alarms from CloudWatch, and
 * whether its Fullstory key can be read, all with the caller's AWS credentials.
 */

const USAGE = `Usage: npm run status -- [--stage <stage>] [--json]

  (no option)        local mode: the queue under BRIDGE_DATA_DIR and the bridge on HOST:PORT
  --stage <stage>    a deployed stage: queues from .sst/outputs.json, CloudWatch, SSM (your AWS credentials)
  --json             the report as JSON`;

class UsageError extends Error {}

async function run(argv: string[], out: (text: string) => void): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { stage: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return out(USAGE);
  const config = loadConfig();
  const parameters = createParameterStore({ ttlMs: 0 });
  let report: StatusReport;
  if (values.stage) {
    const queues = stageQueues(values.stage);
    const region = queueRegion(queues.queueUrl);
    report = await stageStatus({
      settings: stageSettings(values.stage, STAGES[values.stage] ?? {}),
      queues,
      sqs: new SQSClient(region ? { region } : {}),
      cloudwatch: cloudWatchReader(new CloudWatchClient(region ? { region } : {})),
      parameters,
    });
  } else {
    report = await localStatus(config, parameters);
  }
  out(values.json ? JSON.stringify(report, null, 2) : formatStatus(report));
}

run(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`status: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
