import fc from "fast-check";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { createSecretsReader } from "../../functions/secrets";
import { STRIPE_MAPPED_EVENT_TYPES } from "../../functions/sources/stripe";
import { apiEvent, parseResponse } from "../support/api-event";
import { memoryQueue } from "../support/memory-queue";
import { chargeObject, checkoutSessionObject, customerObject, invoiceObject, stripeEvent, subscriptionObject } from "../support/stripe-events";

const SECRET = "whsec_live_mode_secret";
const stripe = new Stripe("sk_test_unused");

const OBJECTS: Record<string, () => Record<string, unknown>> = {
  customer: () => customerObject(),
  "customer.subscription": () => subscriptionObject(),
  invoice: () => invoiceObject(),
  "checkout.session": () => checkoutSessionObject(),
  charge: () => chargeObject(),
};
const objectFor = (type: string) => (OBJECTS[type.split(".").slice(0, type.startsWith("customer.subscription") || type.startsWith("checkout.session") ? 2 : 1).join(".")] as () => Record<string, unknown>)();

function harness(live: boolean) {
  const config = loadConfig({ STRIPE_WEBHOOK_SECRET: SECRET, BRIDGE_LIVE: String(live) });
  const queue = memoryQueue();
  const handler = createIngestHandler(() => ({ config, queue, secrets: createSecretsReader(config, { get: async () => "" }), log: createLogger(() => {}) }));
  const post = async (event: Record<string, unknown>) => {
    const payload = JSON.stringify(event);
    const headers = { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
    return parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload })));
  };
  return { post, queue };
}

describe("Stripe test mode on live stages", () => {
  it("ignores every mapped test-mode event on a live stage and queues nothing, while live-mode events are accepted", async () => {
    const live = harness(true);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...STRIPE_MAPPED_EVENT_TYPES), fc.string({ minLength: 1, maxLength: 20 }), async (type, suffix) => {
        runs++;
        const test = await live.post(stripeEvent(type, objectFor(type), { id: `evt_test_${suffix}`, livemode: false }));
        expect(test).toEqual({ status: 200, body: { status: "ignored", reason: "test_mode_event" } });
      }),
      { numRuns: 200 },
    );
    expect(live.queue.sent).toHaveLength(0);
    expect(live.queue.deadLetters).toHaveLength(0);
    for (const type of STRIPE_MAPPED_EVENT_TYPES) expect((await live.post(stripeEvent(type, objectFor(type), { livemode: true }))).status).toBe(202);
    process.stdout.write(`live-mode property runs: ${runs}\n`);
  });

  it("accepts the same test-mode events on a stage that is not live", async () => {
    const dev = harness(false);
    for (const type of STRIPE_MAPPED_EVENT_TYPES) expect((await dev.post(stripeEvent(type, objectFor(type), { livemode: false }))).status).toBe(202);
    expect(dev.queue.sent.length + dev.queue.deadLetters.length).toBe(STRIPE_MAPPED_EVENT_TYPES.length);
  });
});
