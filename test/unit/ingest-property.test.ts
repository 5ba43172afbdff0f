import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { QueueMessageSchema } from "../../functions/message";
import { createSecretsReader } from "../../functions/secrets";
import { CLERK_MAPPED_EVENT_TYPES } from "../../functions/sources/clerk";
import { STRIPE_MAPPED_EVENT_TYPES } from "../../functions/sources/stripe";
import { apiEvent, parseResponse } from "../support/api-event";
import { memoryQueue } from "../support/memory-queue";

const STRIPE_SECRET = "whsec_property";
const SW_SECRET = `whsec_${Buffer.from("property-test-secret").toString("base64")}`;
const stripe = new Stripe("sk_test_unused");

function harness() {
  const config = loadConfig({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, CLERK_WEBHOOK_SECRET: SW_SECRET, STANDARD_WEBHOOK_SECRET: SW_SECRET });
  const queue = memoryQueue();
  const secrets = createSecretsReader(config, { get: () => Promise.reject(new Error("unused")) });
  const handler = createIngestHandler(() => ({ config, queue, secrets, log: createLogger(() => {}) }));
  return { handler, queue };
}

/** Every queued message must pass the consumer's own schema: ingest never queues what deliver cannot read. */
function expectReadable(queue: ReturnType<typeof memoryQueue>) {
  for (const message of queue.sent) expect(QueueMessageSchema.safeParse(message).success).toBe(true);
  for (const letter of queue.deadLetters) expect(QueueMessageSchema.safeParse(JSON.parse(letter.body)).success).toBe(true);
}

const ALLOWED = new Set([200, 202, 400, 401, 404, 405, 413]);
const counts = { runs: 0 };

describe("ingest under random input", () => {
  it("never throws and never answers 5xx to random bodies and headers on any route", async () => {
    const { handler, queue } = harness();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/webhooks/stripe", "/webhooks/clerk", "/webhooks/standard", "/webhooks/nope", "/webhooks/%E0%A4%A", "/healthz"),
        fc.constantFrom("POST", "GET", "PUT"),
        fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 200 })),
        fc.oneof(fc.string(), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)), fc.jsonValue().map((v) => JSON.stringify(v))),
        fc.boolean(),
        async (path, method, headers, body, base64) => {
          counts.runs++;
          const response = parseResponse(await handler(apiEvent({ method, path, headers, body, base64 })));
          expect(ALLOWED.has(response.status)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
    // Nothing unsigned gets in.
    expect(queue.sent).toHaveLength(0);
    expect(queue.deadLetters).toHaveLength(0);
  });

  it("answers every correctly signed Stripe event of a mapped type, whatever its object, with 2xx or 400", async () => {
    const { handler, queue } = harness();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...STRIPE_MAPPED_EVENT_TYPES), fc.jsonValue(), fc.boolean(), async (type, object, livemode) => {
        counts.runs++;
        const payload = JSON.stringify({ id: "evt_prop", object: "event", type, created: 1_700_000_000, livemode, data: { object } });
        const headers = { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) };
        const response = parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload })));
        expect([200, 202, 400]).toContain(response.status);
      }),
      { numRuns: 1500 },
    );
    expectReadable(queue);
  });

  it("answers every correctly signed Clerk or standard body with 2xx or 400", async () => {
    const { handler, queue } = harness();
    const webhook = new Webhook(SW_SECRET);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("clerk", "standard"),
        fc.oneof(
          fc.jsonValue(),
          fc.record({ type: fc.constantFrom(...CLERK_MAPPED_EVENT_TYPES), data: fc.jsonValue() }),
          fc.record({ uid: fc.string(), properties: fc.dictionary(fc.string(), fc.jsonValue()) }),
        ),
        async (source, body) => {
          counts.runs++;
          const payload = JSON.stringify(body);
          const now = new Date();
          const headers = {
            "webhook-id": "msg_prop",
            "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
            "webhook-signature": webhook.sign("msg_prop", now, payload),
          };
          const response = parseResponse(await handler(apiEvent({ path: `/webhooks/${source}`, headers, body: payload })));
          expect([200, 202, 400]).toContain(response.status);
        },
      ),
      { numRuns: 1500 },
    );
    expectReadable(queue);
    process.stdout.write(`ingest property runs: ${counts.runs}\n`);
  });
});
