import { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { init } from "@fullstory/server-api-client";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { loadConfig } from "../functions/config";
import { createDeliverHandler, deployedDeliverDeps } from "../functions/deliver";
import { createLogger } from "../functions/log";
import { deduplicationId, idempotencyKey, messageGroupId, type QueueMessage } from "../functions/message";
// The project's own loopback doubles of Fullstory and SSM (test/support), shared with the tests on purpose.
import { startFullstoryFake, type FullstoryFake } from "../test/support/fullstory-fake";
import { startDynamo } from "../test/support/dynamo";
import { startSsmFake } from "../test/support/ssm-fake";
import { round } from "./stats";

const API_KEY = "na1.bench-fullstory-api-key";
const KEY_PARAMETER = "/fullstory-bridge/bench/fullstory-api-key";
const BATCH_SIZE = 10;
/** The deliver function's timeout (the stage default in stacks/settings.ts), for an honest remaining time. */
const DELIVER_TIMEOUT_MS = 30_000;
const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:bridge-queue.fifo";

export interface DeliverResult {
  requests: number;
  concurrency: number;
  latency_ms: number;
  rps: number;
  official_sdk_rps: number;
  ratio_vs_official_sdk: number;
  fullstory_connections: number;
  ssm_calls: number;
  official_sdk_connections: number;
}

/** An SQS FIFO record as Lambda's event source mapping hands it to the function. */
function sqsRecord(message: QueueMessage, n: number): SQSRecord {
  const uid = message.uid;
  return {
    messageId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    receiptHandle: `receipt-${n}`,
    body: JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "AROAEXAMPLE:ingest",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      SequenceNumber: String(18_000_000_000_000_000_000 + n),
      MessageGroupId: messageGroupId(uid, message.source, message.event_id),
      MessageDeduplicationId: deduplicationId(message.source, message.event_id, uid),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "us-east-1",
  };
}

/** A context whose remaining time counts down from the function's timeout, as Lambda's does. */
function lambdaContext(): Pick<Context, "getRemainingTimeInMillis"> {
  const deadline = Date.now() + DELIVER_TIMEOUT_MS;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

/** Runs `work` over `items` with `workers` of them in flight at a time. */
async function pool<T>(items: T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Every message must have reached the fake exactly once with a 200: otherwise the run measured failures. */
function checkDelivered(fake: FullstoryFake, expected: number, who: string): void {
  const ok = fake.requests.filter((r) => r.status === 200 && !r.replayed).length;
  if (ok !== expected || fake.requests.length !== expected) {
    throw new Error(`${who}: ${ok} of ${expected} upserts accepted (${fake.requests.length} requests): the run is not valid`);
  }
}

/**
 * Our side: one warm deliver container (the real Lambda handler over the deployed wiring, its key
 * read from the SSM fake through @aws-sdk/client-ssm) fed SQS batches of 10, `batchesInFlight` at
 * a time, against the Fullstory fake. Returns requests per second of the timed part and the
 * fakes' counters over the container's whole life (warm-up included).
 */
async function runOurs(warmup: QueueMessage[], messages: QueueMessage[], batchesInFlight: number, latencyMs: number) {
  const ssm = await startSsmFake();
  const dynamo = await startDynamo();
  const stateTable = await dynamo.createStateTable("bench-state");
  const fake = await startFullstoryFake({ keys: [API_KEY] });
  fake.latencyMs = latencyMs;
  ssm.set(KEY_PARAMETER, API_KEY);
  const ssmClients: SSMClient[] = [];
  // Never used while every upsert succeeds; pointed at loopback so nothing could leave the machine.
  const sqs = new SQSClient({ region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  const config = loadConfig({
    FULLSTORY_API_KEY_PARAMETER: KEY_PARAMETER,
    FULLSTORY_API_URL: fake.url,
    BRIDGE_QUEUE_URL: "http://127.0.0.1:9/123456789012/bridge-queue.fifo",
    BRIDGE_DEAD_LETTER_QUEUE_URL: "http://127.0.0.1:9/123456789012/bridge-dlq.fifo",
    BRIDGE_STATE_TABLE: stateTable,
  });
  const container = deployedDeliverDeps(config, {
    sqs,
    dynamo: dynamo.client,
    ssm: (region) => {
      const client = ssm.client(region);
      ssmClients.push(client);
      return client;
    },
    // Each log line is built, then dropped: its cost counts, the terminal stays readable.
    logger: createLogger(() => {}),
  });
  const handler = createDeliverHandler(() => container);
  const toBatches = (list: QueueMessage[], offset: number): SQSEvent[] =>
    Array.from({ length: Math.ceil(list.length / BATCH_SIZE) }, (_, b) => ({
      Records: list.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE).map((m, i) => sqsRecord(m, offset + b * BATCH_SIZE + i)),
    }));
  let failures = 0;
  const invoke = async (event: SQSEvent) => {
    failures += (await handler(event, lambdaContext())).batchItemFailures.length;
  };
  try {
    await pool(toBatches(warmup, 0), batchesInFlight, invoke);
    const batches = toBatches(messages, warmup.length);
    const start = performance.now();
    await pool(batches, batchesInFlight, invoke);
    const seconds = (performance.now() - start) / 1000;
    if (failures > 0) throw new Error(`our deliver handler reported ${failures} failed records`);
    checkDelivered(fake, warmup.length + messages.length, "our deliver");
    return { rps: messages.length / seconds, connections: fake.connections, ssmCalls: ssm.calls };
  } finally {
    await (container.fullstory as { close?: () => Promise<void> }).close?.();
    for (const client of ssmClients) client.destroy();
    sqs.destroy();
    await fake.stop();
    await ssm.stop();
    await dynamo.stop();
  }
}

/**
 * The official SDK's side: `users.create` with the same bodies and Idempotency-Keys, `concurrency`
 * at a time, against a fresh fake. The SDK takes its base URL from FS_API_HOST when NODE_ENV is
 * `test` or `development`, read when the client is built (lib/api/users/UsersApi.js).
 */
async function runOfficialSdk(warmup: QueueMessage[], messages: QueueMessage[], concurrency: number, latencyMs: number) {
  const fake = await startFullstoryFake({ keys: [API_KEY] });
  fake.latencyMs = latencyMs;
  const saved = { NODE_ENV: process.env.NODE_ENV, FS_API_HOST: process.env.FS_API_HOST };
  process.env.NODE_ENV = "test";
  process.env.FS_API_HOST = fake.url;
  const client = init({ apiKey: API_KEY, integrationSource: "fullstory-webhook-bridge" });
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const send = async (m: QueueMessage) => {
    if (!m.upsert || m.uid === null) throw new Error("bench message without an upsert");
    // The same body and key deliver sends (uid first, as the upsert schema orders it).
    const body = { uid: m.uid, ...m.upsert };
    await client.users.create({ body, idempotencyKey: idempotencyKey(m.source, m.event_id, m.uid, JSON.stringify(body)) });
  };
  try {
    await pool(warmup, concurrency, send);
    const start = performance.now();
    await pool(messages, concurrency, send);
    const seconds = (performance.now() - start) / 1000;
    checkDelivered(fake, warmup.length + messages.length, "official SDK");
    return { rps: messages.length / seconds, connections: fake.connections };
  } finally {
    await fake.stop();
  }
}

/**
 * Delivery throughput: `messages` upserts through our deliver container, then the same upserts
 * through the official `@fullstory/server-api-client`, each against its own fresh Fullstory fake
 * on loopback answering after `latencyMs`. "The same concurrency": the SDK keeps `concurrency`
 * requests in flight; our side keeps ⌈concurrency / 10⌉ SQS batches of 10 in flight, i.e. at
 * least as many messages in progress. Both warm up on `warmup` first (other events, same fake).
 */
export async function benchDeliver(opts: { warmup: QueueMessage[]; messages: QueueMessage[]; concurrency: number; latencyMs: number }): Promise<DeliverResult> {
  const batchesInFlight = Math.ceil(opts.concurrency / BATCH_SIZE);
  const ours = await runOurs(opts.warmup, opts.messages, batchesInFlight, opts.latencyMs);
  const sdk = await runOfficialSdk(opts.warmup, opts.messages, opts.concurrency, opts.latencyMs);
  return {
    requests: opts.messages.length,
    concurrency: opts.concurrency,
    latency_ms: opts.latencyMs,
    rps: round(ours.rps, 1),
    official_sdk_rps: round(sdk.rps, 1),
    ratio_vs_official_sdk: round(ours.rps / sdk.rps, 3),
    fullstory_connections: ours.connections,
    ssm_calls: ours.ssmCalls,
    official_sdk_connections: sdk.connections,
  };
}
