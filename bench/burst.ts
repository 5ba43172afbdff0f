import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { loadConfig } from "../functions/config";
import { createDeliverHandler, deployedDeliverDeps } from "../functions/deliver";
import { createIngestHandler } from "../functions/ingest";
import { createLogger } from "../functions/log";
import { createEmfMetrics } from "../functions/metrics";
import { createParameterStore } from "../functions/parameters";
import { sqsQueueFromConfig } from "../functions/queue/sqs";
import { createSecretsReader } from "../functions/secrets";
import { stageSettings } from "../stacks/settings";
// The project's own loopback doubles (test/support), shared with the tests on purpose.
import { sqsClient, startSqs } from "../test/support/fauxqs";
import { startFullstoryFake } from "../test/support/fullstory-fake";
import { lambdaContext, sqsRecord } from "../test/support/sqs-lambda";
import { startSsmFake } from "../test/support/ssm-fake";
import { startStripeApiFake, type StripeApiFake } from "../test/support/stripe-api-fake";
import { countCalls, emptyCalls, type AwsCalls } from "./aws-calls";
import { startDynamoProcess } from "./dynamo-process";
import { STRIPE_SECRET, stripeApiEvent } from "./ingest";
import { signStripe, stripeEventBody, stripeEventId } from "./payloads";
import { pool } from "./sqs-batches";
import { percentile, round } from "./stats";

const FULLSTORY_KEY = "na1.bench-fullstory-api-key";
const STRIPE_API_KEY = "rk_live_bench_read_only";
const PARAMETERS = {
  fullstory: "/fullstory-bridge/bench/fullstory-api-key",
  stripeWebhook: "/fullstory-bridge/bench/stripe-webhook-secret",
  stripeApi: "/fullstory-bridge/bench/stripe-api-key",
};
const SETTINGS = stageSettings("production");
/** A burst that has not drained by then is stuck, not slow. */
const GIVE_UP_MS = 10 * 60_000;
/** Webhooks sent one at a time after the burst, to time ingest as one container runs it. */
const INGEST_SAMPLE = 100;

export interface BurstOptions {
  events: number;
  users: number;
  /** Fullstory's (and, in API mode, Stripe's) answer time, ms. */
  latencyMs: number;
  /** Stripe API mode: deliver fetches each object's current state with a read-only key. */
  apiMode: boolean;
  /** Seconds between an event's `created` and its arrival (Stripe's are sent within seconds). */
  eventAgeSeconds: number;
  /** Webhooks the one ingest instance takes at once. */
  ingestConcurrency: number;
  /** SQS batches the one deliver instance takes at once. */
  batchesInFlight: number;
}

/** What a burst cost, in the units AWS bills: the input of the cost table (bench/cost.ts). */
export interface BurstUsage {
  api_requests: number;
  ingest_invocations: number;
  /**
   * Σ each invocation's duration rounded up to the millisecond, as Lambda bills it. Ingest's is
   * taken from webhooks sent one at a time after the burst (see benchBurst), deliver's from the burst.
   */
  ingest_billed_ms: number;
  deliver_invocations: number;
  deliver_billed_ms: number;
  sqs_requests: number;
  dynamo_read_units: number;
  dynamo_write_units: number;
  ssm_calls: number;
  /** Bytes of the log lines both functions wrote (Lambda's own START, END and REPORT lines not counted). */
  log_bytes: number;
}

export interface BurstResult {
  events: number;
  users: number;
  latency_ms: number;
  fullstory_requests_per_event: number;
  ssm_calls: number;
  /** API mode only. */
  stripe_api_calls_per_event?: number;
  seconds_to_drain: number;
  p50_webhook_to_fullstory_ms: number;
  p99_webhook_to_fullstory_ms: number;
  /** Events whose state was written (alone or merged), and events skipped as already covered. */
  written: number;
  skipped: number;
  usage: BurstUsage;
  aws_calls: Record<string, number>;
}

/**
 * The Stripe API fake holding, for every customer, the objects its events of the burst carry: the
 * latest one wins, except that a paid invoice stays paid (a customer's payment and failure events
 * share one invoice id in these bodies, and API mode lists the paid ones).
 */
function stockStripe(stripe: StripeApiFake, opts: BurstOptions, first: number, created: number): void {
  for (let i = first; i < first + opts.events; i++) {
    const { data } = JSON.parse(stripeEventBody(i, opts.users, created)) as { data: { object: { id: string; object: string; status?: string } } };
    const object = data.object;
    const store = { customer: stripe.customers, subscription: stripe.subscriptions, invoice: stripe.invoices }[object.object];
    if (object.object === "invoice" && stripe.invoices.get(object.id)?.status === "paid") continue;
    store?.set(object.id, object);
  }
}

/**
 * A burst of `events` Stripe webhooks over `users` customers, through the deployed shape on
 * loopback: the real ingest handler (its signing secret read from the SSM fake) into a fauxqs FIFO
 * queue, drained by Lambda's event source mapping played here (receive up to 10, invoke, delete
 * the batch) into the real deliver handler (its key from SSM, its state table on dynalite in a
 * process of its own; in API mode the official `stripe` client against the Stripe API fake), to
 * the Fullstory fake. Webhooks arrive as fast as ingest takes them, each signed as it is sent and
 * created `eventAgeSeconds` before; deliver drains while they arrive. One ingest and one deliver
 * instance stand for Lambda's containers: each container reads each parameter once. In the burst
 * the ingest instance takes several webhooks at once and shares this process with deliver and the
 * fakes, so its invocations wait on one another: ingest's billed time is measured afterwards, on
 * webhooks sent one at a time, as one container takes them.
 */
export async function benchBurst(opts: BurstOptions): Promise<BurstResult> {
  const [sqs, dynamo, ssm, fullstory] = await Promise.all([startSqs(), startDynamoProcess(), startSsmFake(), startFullstoryFake({ keys: [FULLSTORY_KEY] })]);
  const stripe = opts.apiMode ? await startStripeApiFake({ apiKey: STRIPE_API_KEY }) : undefined;
  const appSqs = sqsClient(sqs.endpoint);
  const ssmClients: SSMClient[] = [];
  const ssmClient = (region: string | undefined) => {
    const client = ssm.client(region);
    ssmClients.push(client);
    return client;
  };
  let container: ReturnType<typeof deployedDeliverDeps> | undefined;
  try {
    fullstory.latencyMs = opts.latencyMs;
    if (stripe) stripe.latencyMs = opts.latencyMs;
    const queue = await sqs.createFifoQueue(`burst-${opts.apiMode ? "api" : "webhook"}`, { maxReceiveCount: SETTINGS.maxReceiveCount });
    const stateTable = await dynamo.createStateTable("burst-state");
    ssm.set(PARAMETERS.fullstory, FULLSTORY_KEY);
    ssm.set(PARAMETERS.stripeWebhook, STRIPE_SECRET);
    ssm.set(PARAMETERS.stripeApi, STRIPE_API_KEY);
    const config = loadConfig({
      STRIPE_WEBHOOK_SECRET_PARAMETER: PARAMETERS.stripeWebhook,
      FULLSTORY_API_KEY_PARAMETER: PARAMETERS.fullstory,
      FULLSTORY_API_URL: fullstory.url,
      BRIDGE_QUEUE_URL: queue.queueUrl,
      BRIDGE_DEAD_LETTER_QUEUE_URL: queue.deadLetterQueueUrl,
      BRIDGE_STATE_TABLE: stateTable,
      ...(stripe ? { STRIPE_API_KEY_PARAMETER: PARAMETERS.stripeApi, STRIPE_API_URL: stripe.url } : {}),
    });
    const tally: AwsCalls = emptyCalls();
    for (const client of [appSqs, sqs.client, dynamo.client]) countCalls(client, tally);

    // Each deliver log line ends one message: delivered (written, alone or merged) or stale (already covered).
    const ended = new Map<string, { at: number; outcome: string }>();
    let logBytes = 0;
    const countLine = (line: string) => void (logBytes += Buffer.byteLength(line) + 1);
    const logger = createLogger((line) => {
      countLine(line);
      if (!line.includes('"msg":"deliver"')) return;
      const { event_id: id, outcome } = JSON.parse(line) as { event_id: string; outcome: string };
      if (outcome === "failed" || outcome === "deferred") return;
      ended.set(id, { at: performance.now(), outcome });
    });
    // The EMF metric lines both functions write go to the log too: counted, not printed.
    const metrics = () => createEmfMetrics({ stage: "bench", write: countLine });
    const ingest = createIngestHandler(() => ({
      config,
      queue: sqsQueueFromConfig(config, appSqs),
      secrets: createSecretsReader(config, createParameterStore({ ttlMs: config.parameterTtlMs, client: ssmClient })),
      log: createLogger(countLine),
      metrics: metrics(),
    }));
    container = deployedDeliverDeps(config, { sqs: appSqs, dynamo: dynamo.client, ssm: ssmClient, logger, metrics: metrics() });
    const deliver = createDeliverHandler(() => container as NonNullable<typeof container>);

    const first = 2_000_000;
    if (stripe) stockStripe(stripe, opts, first, Math.floor(Date.now() / 1000));
    const arrived = new Map<string, number>();
    const deliverMs: number[] = [];
    let ingested = 0;
    let accepted = 0;
    let ingestDone = false;
    const start = performance.now();

    const sendAll = async () => {
      const indices = Array.from({ length: opts.events }, (_, k) => first + k);
      await pool(indices, opts.ingestConcurrency, async (i) => {
        const now = Math.floor(Date.now() / 1000);
        const event = stripeApiEvent(signStripe(stripeEventBody(i, opts.users, now - opts.eventAgeSeconds), STRIPE_SECRET, now));
        const t = performance.now();
        arrived.set(stripeEventId(i), t);
        const res = await ingest(event, lambdaContext(SETTINGS.ingestTimeoutSeconds * 1000));
        ingested++;
        if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode} ${String(res.body)} in the burst`);
        accepted += (JSON.parse(String(res.body)) as { upserts: number }).upserts;
      });
      ingestDone = true;
    };

    // Lambda's event source mapping for a FIFO queue: long-polls up to 10 messages, invokes, deletes what succeeded.
    const poll = async () => {
      while (!(ingestDone && ended.size >= accepted)) {
        if (performance.now() - start > GIVE_UP_MS) throw new Error(`the burst did not drain in ${GIVE_UP_MS / 1000} s`);
        const { Messages = [] } = await sqs.client.send(
          new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["All"] }),
        );
        if (Messages.length === 0) continue;
        const records = Messages.map((m) => sqsRecord(m, queue.queueArn));
        const t = performance.now();
        const { batchItemFailures } = await deliver({ Records: records }, lambdaContext(SETTINGS.deliverTimeoutSeconds * 1000));
        deliverMs.push(performance.now() - t);
        if (batchItemFailures.length > 0) throw new Error(`deliver reported ${batchItemFailures.length} failed records in the burst`);
        await sqs.client.send(
          new DeleteMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: records.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })) }),
        );
      }
    };

    await Promise.all([sendAll(), ...Array.from({ length: opts.batchesInFlight }, poll)]);

    const outcomes = [...ended.values()];
    if (outcomes.some((o) => o.outcome !== "delivered" && o.outcome !== "stale")) throw new Error("a burst message was parked: the run is not valid");
    const upserts = fullstory.requests.filter((r) => r.path === "/v2/users");
    if (upserts.some((r) => r.status !== 200)) throw new Error("Fullstory refused a burst upsert: the run is not valid");
    if (fullstory.users.size !== Math.min(opts.users, opts.events)) throw new Error(`Fullstory holds ${fullstory.users.size} users, not ${opts.users}`);
    const latencies = [...arrived].map(([id, t]) => (ended.get(id)?.at ?? Number.NaN) - t);
    const billed = (list: number[]) => list.reduce((sum, ms) => sum + Math.ceil(ms), 0);
    const counted = { ...tally, calls: { ...tally.calls } };
    const ssmCalls = ssm.calls;
    const burstLogBytes = logBytes;

    const quietMs: number[] = [];
    for (let k = 0; k < INGEST_SAMPLE; k++) {
      const now = Math.floor(Date.now() / 1000);
      const i = first + opts.events + k;
      const event = stripeApiEvent(signStripe(stripeEventBody(i, opts.users, now - opts.eventAgeSeconds), STRIPE_SECRET, now));
      const t = performance.now();
      const res = await ingest(event, lambdaContext(SETTINGS.ingestTimeoutSeconds * 1000));
      quietMs.push(performance.now() - t);
      if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode} after the burst`);
    }
    return {
      events: opts.events,
      users: opts.users,
      latency_ms: opts.latencyMs,
      fullstory_requests_per_event: round(upserts.length / opts.events, 3),
      ssm_calls: ssmCalls,
      ...(stripe ? { stripe_api_calls_per_event: round(stripe.requests.length / opts.events, 3) } : {}),
      seconds_to_drain: round((Math.max(...outcomes.map((o) => o.at)) - start) / 1000, 2),
      p50_webhook_to_fullstory_ms: round(percentile(latencies, 50), 1),
      p99_webhook_to_fullstory_ms: round(percentile(latencies, 99), 1),
      written: outcomes.filter((o) => o.outcome === "delivered").length,
      skipped: outcomes.filter((o) => o.outcome === "stale").length,
      usage: {
        api_requests: opts.events,
        ingest_invocations: ingested,
        ingest_billed_ms: Math.round((billed(quietMs) / quietMs.length) * ingested),
        deliver_invocations: deliverMs.length,
        deliver_billed_ms: billed(deliverMs),
        sqs_requests: counted.sqsBilledRequests,
        dynamo_read_units: counted.dynamoReadUnits,
        dynamo_write_units: counted.dynamoWriteUnits,
        ssm_calls: ssmCalls,
        log_bytes: burstLogBytes,
      },
      aws_calls: counted.calls,
    };
  } finally {
    await (container?.fullstory as { close?: () => Promise<void> } | undefined)?.close?.();
    for (const client of ssmClients) client.destroy();
    appSqs.destroy();
    await Promise.all([sqs.stop(), dynamo.stop(), ssm.stop(), fullstory.stop(), stripe?.stop()]);
  }
}
