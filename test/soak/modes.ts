import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { loadConfig } from "../../functions/config";
import { apiKeyGetter } from "../../functions/deliver-core";
import { createFullstoryClient } from "../../functions/fullstory/client";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import type { IngestDeps } from "../../functions/ingest-core";
import type { QueueMessage } from "../../functions/message";
import { createParameterStore } from "../../functions/parameters";
import type { QueuePort } from "../../functions/queue/port";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createSecretsReader } from "../../functions/secrets";
import { startDeliveryLoop } from "../../local/delivery-loop";
import { createLocalServer, listen } from "../../local/http";
import { openLocalDatabase, openQueueStore } from "../../local/queue-store";
import { openStateStore } from "../../local/state-store";
import { createDynamoStateStore } from "../../functions/state/dynamo";
import { startDynamo } from "../support/dynamo";
import { apiEvent, parseResponse } from "../support/api-event";
import { deliverContainer } from "../support/deliver-container";
import { SOAK_CLIENT_TIMEOUTS } from "./faults";
import { startSqs } from "../support/fauxqs";
import type { FullstoryFake } from "../support/fullstory-fake";
import { lambdaContext, readQueue, sqsRecord } from "../support/sqs-lambda";
import type { SsmFake } from "../support/ssm-fake";
import { signatureHeaders, type Plan, type PlannedEvent } from "./plan";

export interface ModeInput {
  plan: Plan;
  env: Record<string, string>;
  ssm: SsmFake;
  fullstory: FullstoryFake;
  dataDir: string;
  pollers: number;
  deadlineMs: number;
}

export interface ModeRun {
  queued: Map<string, QueueMessage>;
  accepted: Set<string>;
  deadLetters: { body: string; reason: string }[];
  leftOnQueue: number;
  ingestRetries: number;
  problems: string[];
}

/** A queue port that remembers what it durably took, so the checks know each accepted event's message. */
export function recording(queue: QueuePort, queued: Map<string, QueueMessage>): QueuePort {
  return {
    send: async (entry, options) => {
      await queue.send(entry, options);
      const message = JSON.parse(entry.body) as QueueMessage;
      queued.set(message.event_id, message);
    },
    deadLetter: async (letter) => {
      await queue.deadLetter(letter);
      const message = JSON.parse(letter.body) as QueueMessage;
      queued.set(message.event_id, message);
    },
  };
}

/** Ingest's dependencies for `queue`: secrets read from the SSM fake through the parameter store. */
export function ingestDeps(env: Record<string, string>, ssm: SsmFake, queue: QueuePort): IngestDeps {
  const config = loadConfig(env);
  const parameters = createParameterStore({ ttlMs: config.parameterTtlMs, client: (region) => ssm.client(region, { maxAttempts: 1 }) });
  return { config, queue, secrets: createSecretsReader(config, parameters), log: createLogger(() => {}) };
}

/** A deliver invocation's time limit; the queue hides a received message for longer (10 s). */
const INVOCATION_MS = 8_000;
/** How long a failed message stays hidden: short, so retries come quickly. */
const RETRY_VISIBILITY_SECONDS = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends every lane's events in order, lanes side by side, as webhook sources do: a 503 (or a
 * refused connection) is retried with the same event, re-signed; anything but 202 is a problem.
 */
async function sendAll(plan: Plan, post: (e: PlannedEvent, headers: Record<string, string>) => Promise<number>, deadline: number) {
  const accepted = new Set<string>();
  const problems: string[] = [];
  let retries = 0;
  await Promise.all(
    plan.lanes.map(async (lane) => {
      for (const e of lane) {
        for (let attempt = 1; ; attempt++) {
          const status = await post(e, signatureHeaders(e)).catch(() => 0);
          if (status === 202) {
            accepted.add(e.id);
            break;
          }
          if ((status === 503 || status === 0) && Date.now() < deadline) {
            retries++;
            await sleep(Math.min(500, 20 * attempt));
            continue;
          }
          problems.push(`event ${e.id}: ingest answered ${status}`);
          break;
        }
      }
    }),
  );
  return { accepted, problems, retries };
}

/** Waits until `empty()` holds twice in a row, or the deadline passes (then false). */
async function drained(empty: () => Promise<boolean> | boolean, deadline: number): Promise<boolean> {
  let streak = 0;
  while (Date.now() < deadline) {
    streak = (await empty()) ? streak + 1 : 0;
    if (streak >= 2) return true;
    await sleep(100);
  }
  return false;
}

/**
 * Deployed shape: the ingest Lambda handler over fauxqs FIFO, and `pollers` deliver containers
 * played by loops that do what the SQS event source mapping does: receive up to 10, invoke with an
 * honest context, delete the successes, and hide the failures for a short visibility timeout
 * (SQS's redrive policy parks a message after 5 receives).
 */
export async function runSqsMode(input: ModeInput): Promise<ModeRun> {
  const deadline = Date.now() + input.deadlineMs;
  const [sqs, dynamo] = await Promise.all([startSqs(), startDynamo()]);
  try {
    const queue = await sqs.createFifoQueue("soak", { maxReceiveCount: 5, visibilityTimeoutSeconds: 10 });
    const stateTable = await dynamo.createStateTable("soak-state");
    const env = { ...input.env, BRIDGE_QUEUE_URL: queue.queueUrl, BRIDGE_DEAD_LETTER_QUEUE_URL: queue.deadLetterQueueUrl };
    const queued = new Map<string, QueueMessage>();
    const port = recording(createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client }), queued);
    const ingest = createIngestHandler(() => ingestDeps(env, input.ssm, port));
    const post = async (e: PlannedEvent, headers: Record<string, string>) =>
      parseResponse(await ingest(apiEvent({ path: `/webhooks/${e.source}`, headers, body: e.payload }))).status;

    const depth = async () => {
      const { Attributes = {} } = await sqs.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        }),
      );
      return Object.values(Attributes).reduce((sum, n) => sum + Number(n), 0);
    };
    let stop = false;
    const poller = async () => {
      const { handler } = deliverContainer({ sqs, dynamo, stateTable, ssm: input.ssm, fullstory: input.fullstory, queue, env: input.env, ssmMaxAttempts: 2, clientTimeouts: SOAK_CLIENT_TIMEOUTS });
      while (!stop) {
        const { Messages = [] } = await sqs.client.send(
          new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
        );
        if (Messages.length === 0) {
          await sleep(25);
          continue;
        }
        const records = Messages.map((m) => sqsRecord(m, queue.queueArn));
        const { batchItemFailures } = await handler({ Records: records }, lambdaContext(INVOCATION_MS));
        const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
        for (const r of records) {
          const ref = { QueueUrl: queue.queueUrl, ReceiptHandle: r.receiptHandle };
          if (failed.has(r.messageId)) await sqs.client.send(new ChangeMessageVisibilityCommand({ ...ref, VisibilityTimeout: RETRY_VISIBILITY_SECONDS }));
          else await sqs.client.send(new DeleteMessageCommand(ref));
        }
      }
    };
    const pollers = Array.from({ length: input.pollers }, poller);
    const sent = await sendAll(input.plan, post, deadline);
    const ok = await drained(async () => (await depth()) === 0, deadline);
    stop = true;
    await Promise.all(pollers);
    const letters = await readQueue(sqs.client, queue.deadLetterQueueUrl);
    // Letters waiting for their account's uid are kept in the state table, not on the dead-letter queue.
    const waiting = await createDynamoStateStore({ tableName: stateTable, client: dynamo.client }).listParked();
    return {
      queued,
      accepted: sent.accepted,
      // SQS's own redrive moves a message without attributes: that is retries_exhausted.
      deadLetters: [
        ...letters.map((l) => ({ body: l.body, reason: l.attributes.reason ?? "retries_exhausted" })),
        ...waiting.map((l) => ({ body: l.body, reason: l.failure.reason })),
      ],
      leftOnQueue: await depth(),
      ingestRetries: sent.retries,
      problems: [...sent.problems, ...(ok ? [] : ["the queue did not drain before the deadline"])],
    };
  } finally {
    await Promise.all([sqs.stop(), dynamo.stop()]);
  }
}

/**
 * Local mode, wired as `local/start.ts` wires it: the ingest handler behind the local HTTP server,
 * the SQLite queue store, and the delivery loop running the deliver core against it.
 */
export async function runLocalMode(input: ModeInput): Promise<ModeRun> {
  const deadline = Date.now() + input.deadlineMs;
  const db = openLocalDatabase(input.dataDir);
  const store = openQueueStore({ dir: input.dataDir, db });
  const state = openStateStore({ dir: input.dataDir, db });
  const queued = new Map<string, QueueMessage>();
  const log = createLogger(() => {});
  const deps = ingestDeps(input.env, input.ssm, recording(store, queued));
  const server = createLocalServer({ handler: createIngestHandler(() => deps), maxBodyBytes: deps.config.maxBodyBytes, log });
  const { port } = await listen(server, "127.0.0.1", 0);
  const config = loadConfig(input.env);
  const parameters = createParameterStore({ ttlMs: config.parameterTtlMs, client: (region) => input.ssm.client(region, { maxAttempts: 2 }) });
  const fullstory = createFullstoryClient(SOAK_CLIENT_TIMEOUTS);
  const loop = startDeliveryLoop({
    store,
    deps: { config, logger: log, fullstory, state, getApiKey: apiKeyGetter(config, parameters) },
    pollMs: 20,
    log,
  });
  try {
    const post = async (e: PlannedEvent, headers: Record<string, string>) =>
      (await fetch(`http://127.0.0.1:${port}/webhooks/${e.source}`, { method: "POST", headers, body: e.payload })).status;
    const sent = await sendAll(input.plan, post, deadline);
    const ok = await drained(() => store.depth() === 0, deadline);
    await loop.stop();
    return {
      queued,
      accepted: sent.accepted,
      deadLetters: store.listDeadLetters().map((l) => ({ body: l.body, reason: l.failure.reason })),
      leftOnQueue: store.depth(),
      ingestRetries: sent.retries,
      problems: [...sent.problems, ...(ok ? [] : ["the local queue did not drain before the deadline"])],
    };
  } finally {
    await loop.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fullstory.close();
    db.close();
  }
}
