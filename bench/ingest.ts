import type { APIGatewayProxyEventV2 } from "aws-lambda";
import Stripe from "stripe";
import { loadConfig } from "../functions/config";
import { createIngestHandler } from "../functions/ingest";
import { createLogger } from "../functions/log";
import { createEmfMetrics } from "../functions/metrics";
import type { QueueEntry, QueueMessage } from "../functions/message";
import { createParameterStore } from "../functions/parameters";
import type { DeadLetter, QueuePort } from "../functions/queue/port";
import { createSecretsReader } from "../functions/secrets";
import { signedStripePayloads, type SignedPayload } from "./payloads";
import { median, round } from "./stats";

export const STRIPE_SECRET = "whsec_benchmark_signing_secret_0123456789";

/**
 * The queue replaced by memory: what is measured is ingest's own work up to the send. Entries are
 * kept as sent; reading them back is the caller's work, not ingest's.
 */
export function memoryQueue(): QueuePort & { sent: QueueEntry[]; deadLetters: DeadLetter[] } {
  const sent: QueueEntry[] = [];
  const deadLetters: DeadLetter[] = [];
  return { sent, deadLetters, send: async (entry) => void sent.push(entry), deadLetter: async (l) => void deadLetters.push(l) };
}

/**
 * An API Gateway HTTP API (payload 2.0) event carrying a signed Stripe webhook, as API Gateway
 * hands it to the ingest Lambda. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function stripeApiEvent(payload: SignedPayload): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "POST /webhooks/{source}",
    rawPath: "/webhooks/stripe",
    rawQueryString: "",
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(payload.body)),
      "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      "stripe-signature": payload.signature,
      host: "abc123.execute-api.us-east-1.amazonaws.com",
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "abc123",
      http: { method: "POST", path: "/webhooks/stripe", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "Stripe/1.0" },
      requestId: "bench",
      routeKey: "POST /webhooks/{source}",
      stage: "$default",
      time: "01/Jan/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    pathParameters: { source: "stripe" },
    body: payload.body,
    isBase64Encoded: false,
  };
}

/**
 * The ingest handler as deployed, except for the queue (memory) and the log and metrics sinks
 * (the lines are still built, then dropped, so their cost is counted without flooding the terminal).
 */
export function benchIngestHandler(queue: QueuePort) {
  const config = loadConfig({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });
  const secrets = createSecretsReader(config, createParameterStore({ ttlMs: config.parameterTtlMs }));
  const metrics = createEmfMetrics({ stage: "bench", write: () => {} });
  return createIngestHandler(() => ({ config, queue, secrets, log: createLogger(() => {}), metrics }));
}

/** Runs `payloads` through the ingest handler once and returns the queue messages it built (all must be accepted). */
export async function ingestAll(payloads: SignedPayload[]): Promise<QueueMessage[]> {
  const queue = memoryQueue();
  const handler = benchIngestHandler(queue);
  for (const p of payloads) {
    const res = await handler(stripeApiEvent(p));
    if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode} ${res.body ?? ""} to a bench payload`);
  }
  if (queue.deadLetters.length > 0) throw new Error("a bench payload had no Fullstory uid");
  return queue.sent.map((entry) => JSON.parse(entry.body) as QueueMessage);
}

export interface IngestResult {
  events: number;
  rounds: number;
  payload_bytes_median: number;
  us_per_event_p50: number;
  stripe_construct_event_us_p50: number;
  ratio_vs_stripe_construct_event: number;
}

/**
 * Ingest's own cost per event against the official `stripe` library's `webhooks.constructEvent`
 * (signature check + JSON.parse, nothing else) on the same signed bodies. Each round times the
 * whole set through one, then the other (the order alternates between rounds), in this process;
 * the result is the median over rounds of each round's mean per event. Warm-up rounds are dropped.
 */
export async function benchIngest(opts: { events: number; rounds: number; warmupRounds: number }): Promise<IngestResult> {
  const payloads = signedStripePayloads({ count: opts.events, users: 2_000, secret: STRIPE_SECRET, timestamp: Math.floor(Date.now() / 1000) });
  const events = payloads.map(stripeApiEvent);
  const queue = memoryQueue();
  const handler = benchIngestHandler(queue);
  const stripe = new Stripe("sk_test_bench_unused");

  const ours = async () => {
    const start = performance.now();
    for (const event of events) {
      const res = await handler(event);
      if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode} ${res.body ?? ""}`);
    }
    const elapsed = performance.now() - start;
    queue.sent.length = 0;
    return elapsed;
  };
  // What a Lambda using the official library would do with the same API Gateway event.
  const theirs = async () => {
    const start = performance.now();
    for (const event of events) {
      const parsed = stripe.webhooks.constructEvent(event.body ?? "", event.headers["stripe-signature"] ?? "", STRIPE_SECRET);
      if (!parsed.id) throw new Error("constructEvent returned no event");
    }
    return performance.now() - start;
  };

  const oursUs: number[] = [];
  const theirsUs: number[] = [];
  for (let round = 0; round < opts.warmupRounds + opts.rounds; round++) {
    let o: number;
    let t: number;
    if (round % 2 === 0) {
      o = await ours();
      t = await theirs();
    } else {
      t = await theirs();
      o = await ours();
    }
    if (round < opts.warmupRounds) continue;
    oursUs.push((o * 1000) / events.length);
    theirsUs.push((t * 1000) / events.length);
  }
  const us = median(oursUs);
  const stripeUs = median(theirsUs);
  return {
    events: events.length,
    rounds: opts.rounds,
    payload_bytes_median: median(payloads.map((p) => Buffer.byteLength(p.body))),
    us_per_event_p50: round(us),
    stripe_construct_event_us_p50: round(stripeUs),
    ratio_vs_stripe_construct_event: round(us / stripeUs, 3),
  };
}
