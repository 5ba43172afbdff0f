import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig, type Config } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import type { IngestDeps } from "../../functions/ingest-core";
import { createLogger } from "../../functions/log";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createSecretsReader } from "../../functions/secrets";
import { createDynamoStateStore } from "../../functions/state/dynamo";
import type { ParkedLetter, StateStore } from "../../functions/state/port";
import { apiKeyGetter, releaseWaitingForStripeKey } from "../../functions/deliver-core";
import { createFullstoryClient } from "../../functions/fullstory/client";
import { createParameterStore } from "../../functions/parameters";
import { stripeRefresherFactory } from "../../functions/sources/stripe/api-mode";
import { startDeliveryLoop } from "../../local/delivery-loop";
import { openLocalDatabase, openQueueStore } from "../../local/queue-store";
import { openStateStore } from "../../local/state-store";
import { localBackend } from "../../tools/dlq-local";
import { sqsBackend } from "../../tools/dlq-sqs";
import type { DeadLetterView, RedriveOutcome } from "../../tools/dead-letters";
import { apiEvent, parseResponse } from "./api-event";
import { TEST_CLIENT_TIMEOUTS, deliverContainer } from "./deliver-container";
import { startDynamo, type LoopbackDynamo } from "./dynamo";
import { startSqs, type LoopbackSqs } from "./fauxqs";
import type { FullstoryFake } from "./fullstory-fake";
import { drainQueue } from "./sqs-lambda";
import { startSsmFake, type SsmFake } from "./ssm-fake";

/**
 * One bridge, deployed-shaped or local, for tests that follow events from the webhook to Fullstory:
 * the real ingest handler and deliver code over the real adapters. Deployed: fauxqs FIFO queues, a
 * DynamoDB state table on dynalite, deliver invoked as Lambda's event source mapping would. Local:
 * the SQLite queue and state store of `npm start`, the delivery loop. Settings come from `env`
 * (secrets inline, so no SSM is needed but the fake answers the key's parameter).
 */
export interface BridgeStage {
  mode: "deployed" | "local";
  config: Config;
  /** POSTs `payload` to `/webhooks/<source>` with `headers`; resolves with the answer. */
  post(source: string, payload: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Delivers until nothing deliverable is left on the main queue. */
  settle(): Promise<void>;
  /** Letters waiting in the state store for a uid (or a setting). */
  parked(): Promise<ParkedLetter[]>;
  /** Dead letters on the dead-letter queue (deployed) or the local store's other dead letters, as `dlq list` shows them (nothing is taken off). */
  deadLetters(): Promise<DeadLetterView[]>;
  state: StateStore;
  /** `npm run dlq -- redrive` (without --renormalise) on the stage's dead letters, through the tool's own backend. */
  redrive(): Promise<RedriveOutcome[]>;
  /** Deliver's log line for each message it handled so far, in order: `{event_id, outcome, reason, error, …}`. */
  delivered(): Record<string, unknown>[];
  /**
   * Replaces the deliver side with one under `env` added to the stage's settings (a redeploy, or
   * `npm start` again), on the same queue and state: its first batch (or its start) releases the
   * thin events that waited for a Stripe key.
   */
  redeploy(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface StageOptions {
  fullstory: FullstoryFake;
  /** The Fullstory key the fake accepts. */
  fullstoryKey: string;
  env: Record<string, string>;
}

let stages = 0;

/** The deployed shape on loopback emulators; each stage has its own queues and state table. */
export async function deployedStage({ fullstory, fullstoryKey, env }: StageOptions): Promise<BridgeStage> {
  const [sqs, dynamo, ssm]: [LoopbackSqs, LoopbackDynamo, SsmFake] = await Promise.all([startSqs(), startDynamo(), startSsmFake()]);
  const n = ++stages;
  const queue = await sqs.createFifoQueue(`stage-${n}`, { maxReceiveCount: 10 });
  const stateTable = await dynamo.createStateTable(`stage-${n}-state`);
  ssm.set("/fullstory-bridge/test/fullstory-api-key", fullstoryKey);
  const stageEnv = {
    FULLSTORY_API_URL: fullstory.url,
    FULLSTORY_API_KEY_PARAMETER: "/fullstory-bridge/test/fullstory-api-key",
    BRIDGE_QUEUE_URL: queue.queueUrl,
    BRIDGE_DEAD_LETTER_QUEUE_URL: queue.deadLetterQueueUrl,
    BRIDGE_STATE_TABLE: stateTable,
    ...env,
  };
  const config = loadConfig(stageEnv);
  const ingestDeps: IngestDeps = {
    config,
    queue: createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client }),
    secrets: createSecretsReader(config, { get: async () => "" }),
    log: createLogger(() => {}),
  };
  const ingest = createIngestHandler(() => ingestDeps);
  let deliver = deliverContainer({ sqs, dynamo, stateTable, ssm, fullstory, queue, env: stageEnv });
  const earlier: Record<string, unknown>[] = [];
  const state = createDynamoStateStore({ tableName: stateTable, client: dynamo.client });
  return {
    mode: "deployed",
    config,
    post: async (source, payload, headers) => parseResponse(await ingest(apiEvent({ path: `/webhooks/${source}`, headers, body: payload }))),
    settle: async () => {
      await drainQueue({ client: sqs.client, queueUrl: queue.queueUrl, queueArn: queue.queueArn, handler: deliver.handler });
    },
    parked: () => state.listParked(),
    deadLetters: async () => {
      const backend = sqsBackend({ deadLetterQueueUrl: queue.deadLetterQueueUrl }, sqs.client);
      return (await backend.list()).letters;
    },
    state,
    delivered: () => [...earlier, ...deliver.lines].filter((l) => l.msg === "deliver"),
    redrive: async () => {
      const backend = sqsBackend({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl }, sqs.client);
      return backend.redrive({ renormalise: false, config });
    },
    redeploy: async (more) => {
      earlier.push(...deliver.lines);
      deliver = deliverContainer({ sqs, dynamo, stateTable, ssm, fullstory, queue, env: { ...stageEnv, ...more } });
    },
    stop: () => Promise.all([sqs.stop(), dynamo.stop(), ssm.stop()]).then(() => undefined),
  };
}

/** Local mode's shape: the SQLite queue and state in a temporary data directory, the delivery loop. */
export async function localStage({ fullstory, fullstoryKey, env }: StageOptions): Promise<BridgeStage> {
  const dir = mkdtempSync(path.join(tmpdir(), "bridge-stage-"));
  const stageEnv = { FULLSTORY_API_URL: fullstory.url, FULLSTORY_API_KEY: fullstoryKey, BRIDGE_DATA_DIR: dir, ...env };
  const config = loadConfig(stageEnv);
  const db = openLocalDatabase(dir);
  const store = openQueueStore({ dir, db });
  const state = openStateStore({ dir, db });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const ingest = createIngestHandler(() => ({ config, queue: store, secrets: createSecretsReader(config, { get: async () => "" }), log }));
  const client = createFullstoryClient(TEST_CLIENT_TIMEOUTS);
  /** The delivery loop as `npm start` runs it under `deliverConfig`: thin events waiting for a Stripe key released first. */
  const startLoop = async (deliverConfig: Config) => {
    const parameters = createParameterStore({ ttlMs: deliverConfig.parameterTtlMs });
    const stripe = stripeRefresherFactory(deliverConfig, parameters);
    const deps = { config: deliverConfig, logger: log, fullstory: client, state, getApiKey: apiKeyGetter(deliverConfig, parameters), ...(stripe ? { refreshers: { stripe } } : {}) };
    await releaseWaitingForStripeKey({ ...deps, queue: store, remainingMs: () => 30_000 });
    return startDeliveryLoop({ store, deps, pollMs: 10, log });
  };
  let loop = await startLoop(config);
  return {
    mode: "local",
    config,
    post: async (source, payload, headers) => parseResponse(await ingest(apiEvent({ path: `/webhooks/${source}`, headers, body: payload }))),
    settle: async () => {
      // Settled: nothing on the queue twice in a row (a redriven letter is queued while delivering).
      for (let quiet = 0, i = 0; quiet < 3 && i < 1_000; i++) {
        quiet = store.depth() === 0 ? quiet + 1 : 0;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    parked: () => state.listParked(),
    deadLetters: async () => {
      // Waiting letters are rows of the same table locally: leave them to `parked`, as on a stage.
      const waiting = new Set((await state.listParked()).map((l) => l.id));
      const backend = localBackend(dir);
      try {
        return (await backend.list()).letters.filter((l) => !waiting.has(l.id));
      } finally {
        backend.close();
      }
    },
    state,
    delivered: () => lines.filter((l) => l.msg === "deliver"),
    redrive: async () => {
      const backend = localBackend(dir);
      try {
        return await backend.redrive({ renormalise: false, config });
      } finally {
        backend.close();
      }
    },
    redeploy: async (more) => {
      await loop.stop();
      loop = await startLoop(loadConfig({ ...stageEnv, ...more }));
    },
    stop: async () => {
      await loop.stop();
      await client.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
