import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ParameterReader } from "../functions/secrets";
import { alarmPrefix, type StageSettings } from "../stacks/settings";
import type { SqsQueues } from "./dlq-sqs";
import { stageBackend } from "./dlq-stage";
import type { CloudWatchReader } from "./status-cloudwatch";
import { keyStatus } from "./status-key";
import type { StatusReport } from "./status-report";

export interface StageStatusDeps {
  settings: StageSettings;
  queues: SqsQueues & { queueUrl: string };
  sqs: SQSClient;
  dynamo?: DynamoDBClient;
  cloudwatch: CloudWatchReader;
  parameters: ParameterReader;
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or a loopback URL ending so): the queue's name. */
const queueName = (url: string) => url.slice(url.lastIndexOf("/") + 1);

/**
 * A deployed stage's status: the main queue's depth (SQS's approximate counts) and the age of its
 * oldest message (CloudWatch), dead letters and waiting letters by reason (as `npm run dlq -- list`
 * finds them), the last hour's metrics, the alarms firing, and whether the stage's key parameter
 * can be read with the caller's credentials. A part CloudWatch cannot give says why instead.
 */
export async function stageStatus(deps: StageStatusDeps): Promise<StatusReport> {
  const { settings, queues } = deps;
  const attributes = await deps.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queues.queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  const backend = stageBackend(queues, { sqs: deps.sqs, ...(deps.dynamo ? { dynamo: deps.dynamo } : {}) });
  const deadLetters: Record<string, number> = {};
  const waiting: Record<string, number> = {};
  try {
    for (const letter of (await backend.list()).letters) {
      const into = letter.id.startsWith("waiting:") ? waiting : deadLetters;
      into[letter.reason] = (into[letter.reason] ?? 0) + 1;
    }
  } finally {
    backend.close();
  }
  const unavailable = (err: unknown) => ({ unavailable: `CloudWatch could not be read (${err instanceof Error ? err.name : "error"})` });
  const isUnavailable = (v: object): v is { unavailable: string } => typeof (v as { unavailable?: unknown }).unavailable === "string";
  const [oldest, sums, alarms, key] = await Promise.all([
    deps.cloudwatch.oldestAgeSeconds(queueName(queues.queueUrl)).catch(() => "unknown" as const),
    deps.cloudwatch.sums(settings.stage, settings.sources, 60).catch(unavailable),
    deps.cloudwatch.firingAlarms(alarmPrefix(settings.stage)).catch(unavailable),
    keyStatus({ apiKeyParameter: settings.parameters.fullstoryApiKey }, deps.parameters),
  ]);
  const depth = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  return {
    where: `stage ${settings.stage}`,
    queue: {
      depth,
      inFlight: Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      // SQS reports no age for a queue that has been empty a while.
      oldestAgeSeconds: oldest === "unknown" ? "unknown" : oldest === undefined || depth === 0 ? null : Math.round(oldest),
    },
    deadLetters,
    waiting,
    activity: isUnavailable(sums) ? sums : { window: "last hour", bySource: sums },
    alarms,
    key,
    dlqCommand: `npm run dlq -- list --stage ${settings.stage}`,
  };
}
