import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import type { IngestDeps } from "../../functions/ingest-core";
import { createLogger } from "../../functions/log";
import { deduplicationId, messageGroupId, QueueMessageSchema } from "../../functions/message";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createSecretsReader } from "../../functions/secrets";
import { apiEvent, parseResponse } from "../support/api-event";
import { clerkEvent, clerkUser, USER_ID } from "../support/clerk-events";
import { startSqs, type FifoQueue, type LoopbackSqs } from "../support/fauxqs";
import { chargeObject, customerObject, stripeEvent, subscriptionObject } from "../support/stripe-events";

const STRIPE_SECRET = "whsec_test_stripe_secret";
const CLERK_SECRET = `whsec_${Buffer.from("clerk-secret-bytes-0123456789").toString("base64")}`;
const STANDARD_SECRET = `whsec_${Buffer.from("standard-secret-bytes-0123456789").toString("base64")}`;
const stripe = new Stripe("sk_test_unused");

let sqs: LoopbackSqs;
let queues: FifoQueue;
let logLines: string[];

function deps(env: Record<string, string> = {}): IngestDeps {
  const config = loadConfig({
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    CLERK_WEBHOOK_SECRET: CLERK_SECRET,
    STANDARD_WEBHOOK_SECRET: STANDARD_SECRET,
    ...env,
  });
  const queue = createSqsQueue({ queueUrl: queues.queueUrl, deadLetterQueueUrl: queues.deadLetterQueueUrl, client: sqs.client });
  const secrets = createSecretsReader(config, { get: () => Promise.reject(new Error("no parameters in this test")) });
  return { config, queue, secrets, log: createLogger((line) => logLines.push(line)) };
}

function signedStripe(event: Record<string, unknown>, headerName = "Stripe-Signature") {
  const payload = JSON.stringify(event);
  return { payload, headers: { [headerName]: stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) } };
}

async function receiveAll(queueUrl: string) {
  const out = await sqs.client.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }),
  );
  return out.Messages ?? [];
}

beforeAll(async () => {
  sqs = await startSqs();
});
afterAll(async () => {
  await sqs.stop();
});
let queueCounter = 0;
beforeEach(async () => {
  queues = await sqs.createFifoQueue(`ingest-${++queueCounter}`);
  logLines = [];
});

describe("ingest handler over fauxqs", () => {
  it("queues a signed Stripe subscription update on the FIFO queue, grouped by uid", async () => {
    const event = stripeEvent("customer.subscription.updated", subscriptionObject({ metadata: { fullstory_uid: "user_ada" } }), { id: "evt_sub_1" });
    const { payload, headers } = signedStripe(event);
    const handler = createIngestHandler(() => deps());

    const response = parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload })));

    expect(response).toEqual({ status: 202, body: { status: "accepted", event_id: "evt_sub_1", upserts: 1 } });
    const [message, ...rest] = await receiveAll(queues.queueUrl);
    expect(rest).toHaveLength(0);
    expect(message?.Attributes?.MessageGroupId).toBe("user_ada");
    expect(message?.Attributes?.MessageDeduplicationId).toBe(deduplicationId("stripe", "evt_sub_1", "user_ada"));
    const body = QueueMessageSchema.parse(JSON.parse(message?.Body ?? ""));
    expect(body).toMatchObject({ v: 3, source: "stripe", event_id: "evt_sub_1", event_type: "customer.subscription.updated", raw: payload });
    expect(body.uid).toBe("user_ada");
    expect(body.upsert?.properties).toMatchObject({ subscription_status: "active", mrr: 20 });
  });

  it("takes a base64-encoded body and mixed-case header names", async () => {
    const { payload, headers } = signedStripe(stripeEvent("customer.created", customerObject(), { id: "evt_b64" }), "STRIPE-SIGNATURE");
    const handler = createIngestHandler(() => deps());
    const response = parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload, base64: true })));
    expect(response.status).toBe(202);
    expect(await receiveAll(queues.queueUrl)).toHaveLength(1);
  });

  it("queues a re-sent event once: the deduplication id drops the duplicate", async () => {
    const { payload, headers } = signedStripe(stripeEvent("customer.updated", customerObject(), { id: "evt_twice" }));
    const handler = createIngestHandler(() => deps());
    for (let i = 0; i < 2; i++) {
      expect(parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload }))).status).toBe(202);
    }
    expect(await receiveAll(queues.queueUrl)).toHaveLength(1);
  });

  it("queues an event without a uid under its customer, for deliver to resolve through the identity directory", async () => {
    const event = stripeEvent("customer.created", customerObject({ metadata: {} }), { id: "evt_nouid" });
    const { payload, headers } = signedStripe(event);
    const handler = createIngestHandler(() => deps());

    const response = parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload })));

    expect(response).toEqual({ status: 202, body: { status: "accepted", event_id: "evt_nouid", upserts: 1 } });
    const [message] = await receiveAll(queues.queueUrl);
    expect(message?.Attributes?.MessageGroupId).toBe(messageGroupId(null, "stripe", "cus_Test123"));
    expect(QueueMessageSchema.parse(JSON.parse(message?.Body ?? ""))).toMatchObject({ event_id: "evt_nouid", uid: null, subject: "cus_Test123" });
    expect(await receiveAll(queues.deadLetterQueueUrl)).toHaveLength(0);
  });

  it("sends an event that names neither a user nor a customer straight to the dead-letter queue with its reason", async () => {
    const event = stripeEvent("charge.refunded", chargeObject({ customer: null, metadata: {} }), { id: "evt_guest" });
    const { payload, headers } = signedStripe(event);
    const handler = createIngestHandler(() => deps());

    const response = parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload })));

    expect(response).toEqual({ status: 202, body: { status: "accepted", event_id: "evt_guest", upserts: 0, dead_letter: "uid_unresolved" } });
    expect(await receiveAll(queues.queueUrl)).toHaveLength(0);
    const [letter] = await receiveAll(queues.deadLetterQueueUrl);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe("uid_unresolved");
    const body = QueueMessageSchema.parse(JSON.parse(letter?.Body ?? ""));
    expect(body).toMatchObject({ event_id: "evt_guest", uid: null, raw: payload });
  });

  it("answers 503 and acknowledges nothing when the queue is unreachable", async () => {
    const unreachable = await startSqs();
    const url = (await unreachable.createFifoQueue("gone")).queueUrl;
    await unreachable.stop();
    const base = deps();
    const queue = createSqsQueue({ queueUrl: url, deadLetterQueueUrl: url, client: (await import("../support/fauxqs")).sqsClient(unreachable.endpoint) });
    const handler = createIngestHandler(() => ({ ...base, queue }));
    const { payload, headers } = signedStripe(stripeEvent("customer.created", customerObject(), { id: "evt_down" }));

    const response = parseResponse(await handler(apiEvent({ path: "/webhooks/stripe", headers, body: payload })));

    expect(response).toEqual({ status: 503, body: { error: "queue_unavailable" } });
  });

  it("queues a Clerk user signed by the official standardwebhooks library under svix-* header names", async () => {
    const payload = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const when = new Date();
    const signature = new Webhook(CLERK_SECRET).sign("msg_clerk_1", when, payload);
    const headers = { "svix-id": "msg_clerk_1", "svix-timestamp": String(Math.floor(when.getTime() / 1000)), "svix-signature": signature };
    const handler = createIngestHandler(() => deps());

    const response = parseResponse(await handler(apiEvent({ path: "/webhooks/clerk", headers, body: payload })));

    expect(response).toEqual({ status: 202, body: { status: "accepted", event_id: "msg_clerk_1", upserts: 1 } });
    const [message] = await receiveAll(queues.queueUrl);
    expect(message?.Attributes?.MessageGroupId).toBe(USER_ID);
  });

  it("refuses a standard upsert that breaks a Fullstory limit with a 400 naming the field", async () => {
    const payload = JSON.stringify({ uid: "u1", properties: { "plan-name": "secret plan value" } });
    const when = new Date();
    const headers = {
      "webhook-id": "msg_std_1",
      "webhook-timestamp": String(Math.floor(when.getTime() / 1000)),
      "webhook-signature": new Webhook(STANDARD_SECRET).sign("msg_std_1", when, payload),
    };
    const handler = createIngestHandler(() => deps());

    const response = parseResponse(await handler(apiEvent({ path: "/webhooks/standard", headers, body: payload })));

    expect(response).toEqual({ status: 400, body: { error: "invalid_payload", issues: ["properties.plan-name"] } });
    expect(JSON.stringify(response.body)).not.toContain("secret plan value");
    expect(await receiveAll(queues.queueUrl)).toHaveLength(0);
  });
});

describe("ingest HTTP contract", () => {
  const send = async (opts: Parameters<typeof apiEvent>[0], env?: Record<string, string>) =>
    parseResponse(await createIngestHandler(() => deps(env))(apiEvent(opts)));

  it("answers 401 without detail to a tampered body", async () => {
    const { payload, headers } = signedStripe(stripeEvent("customer.created", customerObject()));
    const response = await send({ path: "/webhooks/stripe", headers, body: payload.replace("Ada", "Eve") });
    expect(response).toEqual({ status: 401, body: { error: "invalid_signature" } });
  });

  it("answers 400 with paths only, never the values, to a verified body that breaks the schema", async () => {
    const event = stripeEvent("customer.created", customerObject({ email: 42, name: "Private Person" }));
    const { payload, headers } = signedStripe(event);
    const response = await send({ path: "/webhooks/stripe", headers, body: payload });
    expect(response).toEqual({ status: 400, body: { error: "invalid_payload", issues: ["data.object.email"] } });
    expect(JSON.stringify(response.body)).not.toContain("Private Person");
  });

  it("answers 400 to a verified body that is not JSON", async () => {
    const payload = "{not json";
    const headers = { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) };
    expect(await send({ path: "/webhooks/stripe", headers, body: payload })).toEqual({ status: 400, body: { error: "invalid_payload", issues: ["$"] } });
  });

  it("answers 404 to an unknown source and to a source not configured on this stage", async () => {
    expect((await send({ path: "/webhooks/paddle", body: "{}" })).status).toBe(404);
    expect((await send({ path: "/webhooks/toString", body: "{}" })).status).toBe(404);
    const env = { CLERK_WEBHOOK_SECRET: "", STANDARD_WEBHOOK_SECRET: "" };
    expect((await send({ path: "/webhooks/clerk", body: "{}" }, env)).status).toBe(404);
  });

  it("answers 413 to a body over the limit before looking at its signature", async () => {
    const response = await send({ path: "/webhooks/stripe", body: "x".repeat(2049) }, { BRIDGE_MAX_BODY_BYTES: "2048" });
    expect(response.status).toBe(413);
  });

  it("answers 200 ignored to an unmapped event type and queues nothing", async () => {
    const { payload, headers } = signedStripe(stripeEvent("payout.paid", { id: "po_1", object: "payout" }));
    expect(await send({ path: "/webhooks/stripe", headers, body: payload })).toEqual({ status: 200, body: { status: "ignored", reason: "unmapped_event_type" } });
    expect(await receiveAll(queues.queueUrl)).toHaveLength(0);
  });

  it("ignores a Stripe test-mode event on a live stage and accepts it elsewhere", async () => {
    const { payload, headers } = signedStripe(stripeEvent("customer.created", customerObject(), { livemode: false }));
    expect(await send({ path: "/webhooks/stripe", headers, body: payload }, { BRIDGE_LIVE: "true" })).toEqual({
      status: 200,
      body: { status: "ignored", reason: "test_mode_event" },
    });
    expect((await send({ path: "/webhooks/stripe", headers, body: payload })).status).toBe(202);
  });

  it("serves GET /healthz and refuses other methods on the webhook route", async () => {
    expect(await send({ method: "GET", path: "/healthz" })).toEqual({ status: 200, body: { status: "ok" } });
    expect((await send({ method: "GET", path: "/webhooks/stripe" })).status).toBe(405);
    expect((await send({ method: "POST", path: "/elsewhere" })).status).toBe(404);
  });

  it("writes one JSON log line per request without the body, email or secret", async () => {
    const { payload, headers } = signedStripe(stripeEvent("customer.created", customerObject(), { id: "evt_logged" }));
    await send({ path: "/webhooks/stripe", headers, body: payload });
    const lines = logLines.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "webhook", source: "stripe", event_type: "customer.created", event_id: "evt_logged", outcome: "accepted", status: 202 });
    expect(typeof lines[0].duration_ms).toBe("number");
    const text = logLines.join("\n");
    for (const secret of ["ada@example.com", "Ada Lovelace", STRIPE_SECRET, headers["Stripe-Signature"]]) expect(text).not.toContain(secret);
  });
});
