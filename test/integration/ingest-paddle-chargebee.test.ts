import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { createSecretsReader } from "../../functions/secrets";
import { chargebeeAuthorization, paddleSignatureHeader } from "../../tools/sign";
import { apiEvent, parseResponse } from "../support/api-event";
import { chargebeeCustomer, chargebeeEvent, chargebeeSubscription } from "../support/chargebee-events";
import { memoryQueue } from "../support/memory-queue";
import { CUSTOMER_ID, paddleAdjustment, paddleCustomer, paddleEvent, paddleSubscription } from "../support/paddle-events";

/**
 * `POST /webhooks/paddle` and `/webhooks/chargebee` through the deployed ingest handler: what each
 * answers (202, 200 ignored, 400 with paths, 401 without detail) and what it queues.
 */

const PADDLE_SECRET = "pdl_ntfset_01hv8x2af5bqx6r8s8qmt0zm8f_a7e4a56cf7c1cd80";
const CHARGEBEE_CREDENTIALS = "fullstory-bridge:correct-horse-battery";

function harness(env: Record<string, string> = {}) {
  const config = loadConfig({ PADDLE_WEBHOOK_SECRET: PADDLE_SECRET, CHARGEBEE_WEBHOOK_SECRET: `${CHARGEBEE_CREDENTIALS},old:credentials`, ...env });
  const queue = memoryQueue();
  const secrets = createSecretsReader(config, { get: () => Promise.reject(new Error("no parameters here")) });
  const handler = createIngestHandler(() => ({ config, queue, secrets, log: createLogger(() => {}) }));
  const post = async (source: string, body: string | Buffer, headers: Record<string, string>) =>
    parseResponse(await handler(apiEvent({ path: `/webhooks/${source}`, headers, body, base64: Buffer.isBuffer(body) })));
  const paddle = (event: Record<string, unknown>, sign: (payload: string) => string = (p) => paddleSignatureHeader(p, PADDLE_SECRET, Math.floor(Date.now() / 1000))) => {
    const payload = JSON.stringify(event);
    return post("paddle", payload, { "paddle-signature": sign(payload) });
  };
  /** `authorization` null: no header at all. */
  const chargebee = (event: Record<string, unknown>, authorization: string | null = chargebeeAuthorization(CHARGEBEE_CREDENTIALS)) =>
    post("chargebee", JSON.stringify(event), authorization === null ? {} : { authorization });
  return { queue, paddle, chargebee, post };
}

describe("ingest of Paddle notifications", () => {
  it("queues a signed subscription event as one upsert by its custom_data uid, keyed for the stale-event guard", async () => {
    const { queue, paddle } = harness();
    const { status, body } = await paddle(paddleEvent("subscription.updated", paddleSubscription()));
    expect({ status, body }).toEqual({ status: 202, body: { status: "accepted", event_id: "evt_01hv8x2acma2gz7he5xkk8pbdv", upserts: 1 } });
    expect(queue.sent[0]).toMatchObject({ source: "paddle", uid: "user_ada", subject: CUSTOMER_ID, order: { key: `subscription:${CUSTOMER_ID}` } });
  });

  it("queues an approved refund for the directory to resolve through the customer (no uid in an adjustment)", async () => {
    const { queue, paddle } = harness();
    expect((await paddle(paddleEvent("adjustment.updated", paddleAdjustment()))).status).toBe(202);
    expect(queue.sent[0]).toMatchObject({ uid: null, subject: CUSTOMER_ID });
  });

  it("answers 401 without detail to a tampered body, and queues nothing", async () => {
    const { queue, post } = harness();
    const payload = JSON.stringify(paddleEvent("customer.updated", paddleCustomer()));
    const header = paddleSignatureHeader(payload, PADDLE_SECRET, Math.floor(Date.now() / 1000));
    const tampered = payload.replace("user_ada", "user_eve");
    expect(await post("paddle", tampered, { "paddle-signature": header })).toEqual({ status: 401, body: { error: "invalid_signature" } });
    expect(queue.sent).toHaveLength(0);
  });

  it("answers 401 to a signature older than Paddle's 5 s", async () => {
    const { paddle } = harness();
    expect((await paddle(paddleEvent("customer.updated", paddleCustomer()), (p) => paddleSignatureHeader(p, PADDLE_SECRET, Math.floor(Date.now() / 1000) - 6))).status).toBe(401);
  });

  it("answers 200 ignored to an unmapped type and to a refund not yet approved", async () => {
    const { queue, paddle } = harness();
    expect((await paddle(paddleEvent("address.created", { id: "add_01" }))).body).toEqual({ status: "ignored", reason: "unmapped_event_type" });
    expect((await paddle(paddleEvent("adjustment.created", paddleAdjustment({ status: "pending_approval" })))).body).toEqual({ status: "ignored", reason: "not_an_approved_refund" });
    expect(queue.sent).toHaveLength(0);
  });

  it("answers 400 with paths only to a malformed event", async () => {
    const { paddle } = harness();
    const { status, body } = await paddle(paddleEvent("customer.updated", paddleCustomer({ email: 42, created_at: "soon" })));
    expect({ status, body }).toEqual({ status: 400, body: { error: "invalid_payload", issues: ["data.email", "data.created_at"] } });
  });

  it("ignores a webhook simulator event on a live stage and accepts it elsewhere", async () => {
    const simulated = paddleEvent("customer.updated", paddleCustomer(), { event_id: "ntfsimevt_01hvg8ykjrcdr4jvv9rqcbkhfa" });
    const live = harness({ BRIDGE_LIVE: "true" });
    expect((await live.paddle(simulated)).body).toEqual({ status: "ignored", reason: "test_mode_event" });
    expect(live.queue.sent).toHaveLength(0);
    expect((await live.paddle(paddleEvent("customer.updated", paddleCustomer()))).status).toBe(202);
    expect((await harness().paddle(simulated)).status).toBe(202);
  });
});

describe("ingest of Chargebee events", () => {
  it("queues an event carrying the webhook's credentials, any entry of the list", async () => {
    const { queue, chargebee } = harness();
    const event = chargebeeEvent("subscription_changed", { subscription: chargebeeSubscription(), customer: chargebeeCustomer() });
    expect((await chargebee(event)).body).toEqual({ status: "accepted", event_id: "ev_AzZlGJTyZ5NBb2Kk", upserts: 1 });
    expect((await chargebee(event, chargebeeAuthorization("old:credentials"))).status).toBe(202);
    expect(queue.sent[0]).toMatchObject({ source: "chargebee", uid: "user_ada", subject: "user_ada", order: { key: "subscription:user_ada" } });
  });

  it("answers 401 without detail to wrong or missing credentials, and queues nothing", async () => {
    const { queue, chargebee } = harness();
    const event = chargebeeEvent("customer_changed", { customer: chargebeeCustomer() });
    for (const authorization of [null, chargebeeAuthorization("fullstory-bridge:wrong"), `Bearer ${Buffer.from(CHARGEBEE_CREDENTIALS).toString("base64")}`]) {
      expect(await chargebee(event, authorization)).toEqual({ status: 401, body: { error: "invalid_signature" } });
    }
    expect(queue.sent).toHaveLength(0);
  });

  it("answers 503 and acknowledges nothing while a configured entry is not username:password (a setting to fix, then Chargebee retries)", async () => {
    const { queue, chargebee } = harness({ CHARGEBEE_WEBHOOK_SECRET: "only-a-password" });
    expect((await chargebee(chargebeeEvent("customer_changed", { customer: chargebeeCustomer() }), chargebeeAuthorization("only-a-password"))).status).toBe(503);
    expect(queue.sent).toHaveLength(0);
  });

  it("answers 200 ignored to an unmapped type, and 400 with paths to a malformed or non-UTF-8 body", async () => {
    const { queue, chargebee, post } = harness();
    expect((await chargebee(chargebeeEvent("invoice_generated", { invoice: { id: "inv_1" } }))).body).toEqual({ status: "ignored", reason: "unmapped_event_type" });
    const malformed = chargebeeEvent("subscription_changed", { subscription: chargebeeSubscription({ status: "dunning", currency_code: 840 }) });
    expect((await chargebee(malformed)).body).toEqual({ error: "invalid_payload", issues: ["content.subscription.status", "content.subscription.currency_code"] });
    const text = Buffer.from(JSON.stringify(chargebeeEvent("customer_changed", { customer: chargebeeCustomer({ first_name: "Ada" }) })));
    const broken = Buffer.concat([text.subarray(0, 60), Buffer.from([0xff]), text.subarray(60)]);
    expect((await post("chargebee", broken, { authorization: chargebeeAuthorization(CHARGEBEE_CREDENTIALS) })).status).toBe(400);
    expect(queue.sent).toHaveLength(0);
  });
});
