import { loadConfig } from "../../functions/config";
import { createDeliverHandler, deployedDeliverDeps } from "../../functions/deliver";
import type { FullstoryClientOptions } from "../../functions/fullstory/client";
import { createLogger } from "../../functions/log";
import { createEmfMetrics } from "../../functions/metrics";
import type { StripeApi } from "../../functions/sources/stripe/api";
import type { LoopbackDynamo } from "./dynamo";
import type { FullstoryFake } from "./fullstory-fake";
import type { FifoQueue, LoopbackSqs } from "./fauxqs";
import type { SsmFake } from "./ssm-fake";

/** Short client timeouts: a timed-out attempt costs about a second (undici's timers are coarse). */
export const TEST_CLIENT_TIMEOUTS = { connectTimeoutMs: 1_000, headersTimeoutMs: 300, bodyTimeoutMs: 300 };

/**
 * One warm deliver "container": the real handler with its deployed wiring (parameter store, undici
 * pool, SQS dead-letter adapter, DynamoDB state table), its SDK clients pointed at the loopback
 * emulators, and its log lines kept for inspection. `env` holds the stage's settings on top of the defaults below.
 */
export function deliverContainer(opts: {
  sqs: LoopbackSqs;
  ssm: SsmFake;
  fullstory: FullstoryFake;
  queue: FifoQueue;
  /** The stage's state table on dynalite (see `LoopbackDynamo.createStateTable`). */
  dynamo: LoopbackDynamo;
  stateTable: string;
  /** Stripe API mode's client, when `env` configures a Stripe key. */
  stripe?: StripeApi;
  env?: Record<string, string>;
  ssmMaxAttempts?: number;
  /** The Fullstory client's timeouts: short ones (TEST_CLIENT_TIMEOUTS) unless a test needs the deployed defaults. */
  clientTimeouts?: FullstoryClientOptions;
}) {
  const lines: Record<string, unknown>[] = [];
  /** The EMF lines the container wrote (stdout in Lambda), parsed. */
  const emf: Record<string, unknown>[] = [];
  const config = loadConfig({
    FULLSTORY_API_URL: opts.fullstory.url,
    BRIDGE_QUEUE_URL: opts.queue.queueUrl,
    BRIDGE_DEAD_LETTER_QUEUE_URL: opts.queue.deadLetterQueueUrl,
    BRIDGE_STATE_TABLE: opts.stateTable,
    ...opts.env,
  });
  const handler = createDeliverHandler(() =>
    deployedDeliverDeps(config, {
      sqs: opts.sqs.client,
      ssm: (region) => opts.ssm.client(region, { maxAttempts: opts.ssmMaxAttempts ?? 3 }),
      dynamo: opts.dynamo.client,
      ...(opts.stripe ? { stripe: opts.stripe } : {}),
      fullstory: opts.clientTimeouts ?? TEST_CLIENT_TIMEOUTS,
      logger: createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
      metrics: createEmfMetrics({ stage: "test", write: (line) => emf.push(JSON.parse(line) as Record<string, unknown>) }),
    }),
  );
  return { handler, lines, emf };
}
