import fc from "fast-check";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { deliverBatch, type DeliverDeps } from "../../functions/deliver-core";
import { BridgeError, ErrorCode } from "../../functions/errors";
import type { SendResult } from "../../functions/fullstory/client";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { createEmfMetrics, METRICS_NAMESPACE } from "../../functions/metrics";
import type { QueuePort } from "../../functions/queue/port";
import { createSecretsReader } from "../../functions/secrets";
import { stripeRefresherFactory } from "../../functions/sources/stripe/api-mode";
import type { StripeApi } from "../../functions/sources/stripe/api";
import { apiEvent } from "../support/api-event";
import { inbound, queueMessage } from "../support/deliver-messages";
import { memoryQueue } from "../support/memory-queue";
import { customerObject, stripeEvent } from "../support/stripe-events";

/**
 * The EMF lines each outcome produces (the CloudWatch embedded metric format Powertools writes:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * and that nothing but the stage and a known source name ever becomes a dimension.
 */

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

function capture() {
  const lines: Emf[] = [];
  const metrics = createEmfMetrics({ stage: "prod", write: (line) => lines.push(JSON.parse(line) as Emf) });
  /** Every metric written, as `source name=value` (values summed across lines). */
  const totals = () => {
    const out: Record<string, number> = {};
    for (const line of lines) {
      for (const m of line._aws.CloudWatchMetrics[0]?.Metrics ?? []) {
        const value = line[m.Name];
        const sum = Array.isArray(value) ? value.length : Number(value);
        const key = `${String(line.source)} ${m.Name}`;
        out[key] = (out[key] ?? 0) + sum;
      }
    }
    return out;
  };
  return { lines, metrics, totals };
}

const SECRET = "whsec_metrics_secret";
const stripe = new Stripe("sk_test_unused");

function ingest(queue: QueuePort = memoryQueue()) {
  const c = capture();
  const config = loadConfig({ STRIPE_WEBHOOK_SECRET: SECRET, BRIDGE_MAX_BODY_BYTES: "8192", BRIDGE_LIVE: "true" });
  const handler = createIngestHandler(() => ({ config, queue, secrets: createSecretsReader(config, { get: async () => "" }), log: createLogger(() => {}), metrics: c.metrics }));
  const post = (body: string, headers: Record<string, string> = { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) }) =>
    handler(apiEvent({ path: "/webhooks/stripe", headers, body }));
  return { ...c, post };
}

describe("ingest metrics", () => {
  it("counts each webhook outcome per source under the stage, one EMF line per flush", async () => {
    const h = ingest();
    const live = (type: string) => JSON.stringify(stripeEvent(type, customerObject(), { livemode: true }));
    await h.post(live("customer.updated"));
    await h.post(JSON.stringify(stripeEvent("customer.updated", customerObject(), { livemode: false })));
    await h.post(live("customer.updated"), { "stripe-signature": "t=1,v1=00" });
    await h.post(JSON.stringify({ ...stripeEvent("customer.updated", customerObject(), { livemode: true }), data: { object: { id: 5 } } }));
    await h.post("x".repeat(9000));
    expect(h.totals()).toEqual({
      "stripe webhooks_accepted": 1,
      "stripe webhooks_ignored": 1,
      "stripe webhooks_invalid_signature": 1,
      "stripe webhooks_invalid_payload": 1,
      "stripe webhooks_too_large": 1,
    });
    expect(h.lines).toHaveLength(5);
    for (const line of h.lines) {
      expect(line._aws.CloudWatchMetrics).toEqual([expect.objectContaining({ Namespace: METRICS_NAMESPACE, Dimensions: [["service", "stage", "source"]] })]);
      expect(line).toMatchObject({ service: "fullstory-webhook-bridge", stage: "prod", source: "stripe" });
    }
  });

  it("counts a webhook the queue did not take as unavailable, and an unknown source not at all", async () => {
    const failing: QueuePort = {
      send: async () => {
        throw new BridgeError(ErrorCode.QueueUnavailable, "down");
      },
      deadLetter: async () => {},
    };
    const h = ingest(failing);
    await h.post(JSON.stringify(stripeEvent("customer.updated", customerObject(), { livemode: true })));
    expect(h.totals()).toEqual({ "stripe webhooks_unavailable": 1 });
  });
});

function deliverHarness(answer: (n: number, path: string) => SendResult, over: Partial<DeliverDeps> = {}) {
  const c = capture();
  let n = 0;
  const deps: DeliverDeps = {
    config: loadConfig({}),
    getApiKey: async () => "na1.key",
    fullstory: { send: async (req) => answer(++n, req.path) },
    queue: memoryQueue(),
    logger: createLogger(() => {}),
    metrics: c.metrics,
    remainingMs: () => 60_000,
    sleep: async () => {},
    random: () => 0,
    ...over,
  };
  return { ...c, deps };
}

describe("deliver metrics", () => {
  it("counts delivered, retried and dead-lettered (by reason) messages, and each Fullstory answer with its latency", async () => {
    let clock = 0;
    const h = deliverHarness((n) => (n === 1 ? { kind: "ok", id: "1" } : n === 2 ? { kind: "permanent", status: 400, code: "invalid" } : { kind: "retryable", status: 503, code: "http_503" }), {
      // A 5 s budget that backoff spends: the third message is retried until it runs out.
      remainingMs: () => 5_000 - clock,
      sleep: async (ms) => void (clock += ms),
      random: () => 0.5,
    });
    await deliverBatch([inbound(queueMessage("a")), inbound(queueMessage("b")), inbound(queueMessage("c")), inbound(queueMessage(null))], { ...h.deps, concurrency: 1 });
    h.metrics.flush();
    const t = h.totals();
    expect(t).toMatchObject({
      "standard deliveries_delivered": 1,
      "standard deliveries_dead_lettered": 2,
      "standard dead_letters_rejected": 1,
      "standard dead_letters_uid_unresolved": 1,
      "standard deliveries_retried": 1,
      "standard fullstory_responses_2xx": 1,
      "standard fullstory_responses_4xx": 1,
    });
    expect(t["standard fullstory_responses_5xx"]).toBeGreaterThan(0);
    expect(t["standard fullstory_latency_ms"]).toBe(t["standard fullstory_responses_2xx"]! + t["standard fullstory_responses_4xx"]! + t["standard fullstory_responses_5xx"]!);
    const latency = h.lines.flatMap((l) => l._aws.CloudWatchMetrics[0]?.Metrics ?? []).find((m) => m.Name === "fullstory_latency_ms");
    expect(latency?.Unit).toBe("Milliseconds");
  });

  it("counts lifecycle events sent, and the Stripe calls of API mode", async () => {
    const h = deliverHarness(() => ({ kind: "ok", id: "1" }));
    const events = [{ name: "Trial Started", timestamp: "2025-06-01T12:00:00.000Z", properties: {}, schema: { properties: {} } }];
    await deliverBatch([inbound(queueMessage("a", { events }))], h.deps);
    let calls = 0;
    const api = { customer: async () => undefined } as unknown as StripeApi;
    const factory = stripeRefresherFactory(loadConfig({ STRIPE_API_KEY: "rk_test" }), { get: async () => "" }, api, () => calls++);
    await factory?.().uidOf("cus_1");
    h.metrics.count("stripe", "stripe_api_calls", calls);
    h.metrics.flush();
    expect(h.totals()).toMatchObject({ "standard lifecycle_events_sent": 1, "stripe stripe_api_calls": 1 });
  });

  it("splits more than 100 latencies of one source over several lines, each keeping its dimensions", () => {
    const c = capture();
    for (let i = 0; i < 250; i++) c.metrics.fullstory("stripe", i, 200);
    c.metrics.flush();
    expect(c.totals()["stripe fullstory_latency_ms"]).toBe(250);
    for (const line of c.lines) expect(line).toMatchObject({ stage: "prod", source: "stripe" });
    for (const line of c.lines) expect((line.fullstory_latency_ms as number[] | undefined)?.length ?? 0).toBeLessThanOrEqual(100);
  });
});

describe("metric dimensions", () => {
  it("never carry a uid, an email, an event id, a secret or a path: only the stage and a known source name", async () => {
    const word = fc.stringMatching(/^[a-z0-9_]{6,24}$/);
    await fc.assert(
      fc.asyncProperty(word, word, word, async (uid, source, eventId) => {
        const h = deliverHarness(() => ({ kind: "ok", id: "1" }));
        const message = queueMessage(`uid_${uid}`, { event_id: `evt_${eventId}`, source: `src_${source}` });
        await deliverBatch([inbound(message)], h.deps);
        h.metrics.count(`/webhooks/${source}`, "webhooks_accepted");
        h.metrics.flush();
        for (const line of h.lines) {
          const text = JSON.stringify(line);
          for (const secret of [uid, eventId, source, "na1.key", message.upsert?.email ?? ""]) expect(text).not.toContain(secret);
          expect(line._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service", "stage", "source"]]);
          expect(["unknown", "standard", "stripe"]).toContain(line.source);
        }
      }),
      { numRuns: 50 },
    );
  });
});
