import { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { SQSEvent } from "aws-lambda";
import { loadConfig } from "../functions/config";
import { createDeliverHandler, deployedDeliverDeps } from "../functions/deliver";
import { createLogger } from "../functions/log";
import { createEmfMetrics } from "../functions/metrics";
import type { QueueMessage } from "../functions/message";
// The project's own loopback doubles of Fullstory and SSM (test/support), shared with the tests on purpose.
import { startFullstoryFake, type FullstoryFake } from "../test/support/fullstory-fake";
import { startSsmFake } from "../test/support/ssm-fake";
import { countCalls, emptyCalls } from "./aws-calls";
import { startDynamoProcess } from "./dynamo-process";
import { initAgainst, officialSdk, sdkDeliverHandler, sdkRequest } from "./sdk-handler";
import { BATCH_SIZE, lambdaContext, pool, toBatches } from "./sqs-batches";
import { round } from "./stats";

const API_KEY = "na1.bench-fullstory-api-key";
const KEY_PARAMETER = "/fullstory-bridge/bench/fullstory-api-key";

export interface DeliverResult {
  requests: number;
  concurrency: number;
  latency_ms: number;
  rps: number;
  /** The deliver Lambda a team would write with the official SDK, in the same batches. */
  sdk_handler_rps: number;
  ratio_vs_sdk_handler: number;
  /** The official SDK running free, `concurrency` requests in flight (the earlier reference). */
  official_sdk_rps: number;
  ratio_vs_official_sdk: number;
  fullstory_connections: number;
  sdk_handler_connections: number;
  official_sdk_connections: number;
  ssm_calls: number;
  /** DynamoDB calls of the timed part, per SQS batch. */
  state_calls_per_batch: number;
}

/**
 * Every message must have reached the fake exactly once with a 200, over at most `maxSockets`
 * connections: otherwise the run measured failures, or a comparison that was not like for like.
 */
function checkDelivered(fake: FullstoryFake, expected: number, who: string, maxSockets: number): void {
  const ok = fake.requests.filter((r) => r.status === 200 && !r.replayed).length;
  if (ok !== expected || fake.requests.length !== expected) {
    throw new Error(`${who}: ${ok} of ${expected} upserts accepted (${fake.requests.length} requests): the run is not valid`);
  }
  if (fake.maxOpenConnections > maxSockets) {
    throw new Error(`${who}: ${fake.maxOpenConnections} connections open at once, over the cap of ${maxSockets}: the run is not valid`);
  }
}

/** A Fullstory fake answering every request after `latencyMs`. */
async function fullstoryFake(latencyMs: number): Promise<FullstoryFake> {
  const fake = await startFullstoryFake({ keys: [API_KEY] });
  fake.latencyMs = latencyMs;
  return fake;
}

/** Times `invoke` over the batches of `messages` (after those of `warmup`), `batchesInFlight` at a time: messages per second. */
async function timeBatches(warmup: QueueMessage[], messages: QueueMessage[], batchesInFlight: number, invoke: (event: SQSEvent) => Promise<void>, warm: () => void = () => {}) {
  await pool(toBatches(warmup, 0), batchesInFlight, invoke);
  warm();
  const batches = toBatches(messages, warmup.length);
  const start = performance.now();
  await pool(batches, batchesInFlight, invoke);
  return { rps: messages.length / ((performance.now() - start) / 1000), batches: batches.length };
}

/**
 * Our side: one warm deliver container (the real Lambda handler over the deployed wiring: its key
 * read from the SSM fake through @aws-sdk/client-ssm, its state table on dynalite in a process of
 * its own) fed SQS batches of 10, `batchesInFlight` at a time, against the Fullstory fake. Returns
 * messages per second of the timed part, the fakes' counters over the container's whole life
 * (warm-up included), and the DynamoDB calls of the timed part.
 */
async function runOurs(warmup: QueueMessage[], messages: QueueMessage[], batchesInFlight: number, latencyMs: number, maxSockets: number) {
  const ssm = await startSsmFake();
  const dynamo = await startDynamoProcess();
  const stateTable = await dynamo.createStateTable("bench-state");
  const fake = await fullstoryFake(latencyMs);
  ssm.set(KEY_PARAMETER, API_KEY);
  const ssmClients: SSMClient[] = [];
  const tally = emptyCalls();
  countCalls(dynamo.client, tally);
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
    // Each log line and EMF metric line is built, then dropped: its cost counts, the terminal stays readable.
    logger: createLogger(() => {}),
    metrics: createEmfMetrics({ stage: "bench", write: () => {} }),
  });
  const handler = createDeliverHandler(() => container);
  let failures = 0;
  const invoke = async (event: SQSEvent) => {
    failures += (await handler(event, lambdaContext())).batchItemFailures.length;
  };
  try {
    const timed = await timeBatches(warmup, messages, batchesInFlight, invoke, () => void Object.assign(tally, emptyCalls()));
    if (failures > 0) throw new Error(`our deliver handler reported ${failures} failed records`);
    checkDelivered(fake, warmup.length + messages.length, "our deliver", maxSockets);
    const stateCalls = Object.values(tally.calls).reduce((a, b) => a + b, 0);
    return { rps: timed.rps, connections: fake.connections, ssmCalls: ssm.calls, stateCallsPerBatch: stateCalls / timed.batches };
  } finally {
    await (container.fullstory as { close?: () => Promise<void> }).close?.();
    for (const client of ssmClients) client.destroy();
    sqs.destroy();
    await fake.stop();
    await ssm.stop();
    await dynamo.stop();
  }
}

/** The SDK handler (see sdkDeliverHandler) in the same harness as ours: the same batches, as many at a time, against a fresh fake. */
async function runSdkHandler(warmup: QueueMessage[], messages: QueueMessage[], batchesInFlight: number, latencyMs: number, maxSockets: number) {
  const fake = await fullstoryFake(latencyMs);
  const handler = sdkDeliverHandler(initAgainst(await officialSdk(maxSockets), fake.url, API_KEY));
  try {
    const timed = await timeBatches(warmup, messages, batchesInFlight, handler);
    checkDelivered(fake, warmup.length + messages.length, "SDK handler", maxSockets);
    return { rps: timed.rps, connections: fake.connections };
  } finally {
    await fake.stop();
  }
}

/** The official SDK running free: `users.create` with the same bodies and keys, `concurrency` at a time, against a fresh fake. */
async function runOfficialSdk(warmup: QueueMessage[], messages: QueueMessage[], concurrency: number, latencyMs: number) {
  const fake = await fullstoryFake(latencyMs);
  const client = initAgainst(await officialSdk(concurrency), fake.url, API_KEY);
  const send = async (m: QueueMessage) => void (await client.users.create(sdkRequest(m)));
  try {
    await pool(warmup, concurrency, send);
    const start = performance.now();
    await pool(messages, concurrency, send);
    const seconds = (performance.now() - start) / 1000;
    checkDelivered(fake, warmup.length + messages.length, "official SDK", concurrency);
    return { rps: messages.length / seconds, connections: fake.connections };
  } finally {
    await fake.stop();
  }
}

/**
 * Delivery throughput of `messages` upserts, each side against its own fresh Fullstory fake on
 * loopback answering after `latencyMs`, with at most `concurrency` sockets: our deliver container;
 * the deliver handler a team would write with the official SDK, fed the same SQS batches by the
 * same harness (⌈concurrency / 10⌉ batches of 10 at a time, as many messages in progress as ours);
 * and the official SDK running free with `concurrency` requests in flight. All warm up on `warmup`
 * first (other events, same fake).
 */
export async function benchDeliver(opts: { warmup: QueueMessage[]; messages: QueueMessage[]; concurrency: number; latencyMs: number }): Promise<DeliverResult> {
  const batchesInFlight = Math.ceil(opts.concurrency / BATCH_SIZE);
  const ours = await runOurs(opts.warmup, opts.messages, batchesInFlight, opts.latencyMs, opts.concurrency);
  const handler = await runSdkHandler(opts.warmup, opts.messages, batchesInFlight, opts.latencyMs, opts.concurrency);
  const free = await runOfficialSdk(opts.warmup, opts.messages, opts.concurrency, opts.latencyMs);
  return {
    requests: opts.messages.length,
    concurrency: opts.concurrency,
    latency_ms: opts.latencyMs,
    rps: round(ours.rps, 1),
    sdk_handler_rps: round(handler.rps, 1),
    ratio_vs_sdk_handler: round(ours.rps / handler.rps, 3),
    official_sdk_rps: round(free.rps, 1),
    ratio_vs_official_sdk: round(ours.rps / free.rps, 3),
    fullstory_connections: ours.connections,
    sdk_handler_connections: handler.connections,
    official_sdk_connections: free.connections,
    ssm_calls: ours.ssmCalls,
    state_calls_per_batch: round(ours.stateCallsPerBatch, 2),
  };
}
