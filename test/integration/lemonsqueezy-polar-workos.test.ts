import { createHmac } from "node:crypto";
import { WorkOS } from "@workos-inc/node";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createSecretsReader } from "../../functions/secrets";
import { apiEvent, parseResponse } from "../support/api-event";
import { deliverContainer } from "../support/deliver-container";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { startSqs, type LoopbackSqs } from "../support/fauxqs";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { lemonSqueezyEvent, lsSubscription, lsSubscriptionInvoice } from "../support/lemonsqueezy-events";
import { polarCustomer, polarEvent, polarOrder, polarSubscription } from "../support/polar-events";
import { drainQueue, readQueue } from "../support/sqs-lambda";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";
import { EXTERNAL_ID, USER_ID, workosEvent, workosUser } from "../support/workos-events";

/**
 * Lemon Squeezy, Polar and WorkOS events through the deployed wiring: the ingest handler, SQS FIFO
 * on fauxqs, a deliver container with its identity directory on dynalite, and the Fullstory fake.
 * Each source's requests are signed as its tests check it (Lemon Squeezy: an HMAC computed here;
 * Polar: the official standardwebhooks library; WorkOS: the official SDK's computeSignature).
 */
const KEY = "na1.sources-key";
const PARAM = "/fullstory-bridge/sources/fullstory-api-key";
const STATE_TABLE = "sources-state";
const SECRETS = {
  lemonsqueezy: "lemon-e2e-secret",
  polar: `whsec_${Buffer.from("polar-e2e-secret-bytes-0123456789").toString("base64")}`,
  workos: "workos-e2e-secret",
};
const workos = new WorkOS("sk_test_unused").webhooks;

let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
let ssm: SsmFake;
let fullstory: FullstoryFake;
let queueCount = 0;

beforeAll(async () => {
  [sqs, ssm, fullstory, dynamo] = await Promise.all([startSqs(), startSsmFake(), startFullstoryFake({ keys: [KEY] }), startDynamo()]);
  await dynamo.createStateTable(STATE_TABLE);
  ssm.set(PARAM, KEY);
});
afterAll(() => Promise.all([sqs.stop(), ssm.stop(), fullstory.stop(), dynamo.stop()]));

/** A stage on its own FIFO queue serving the three sources, with `env` on top. */
async function stage(env: Record<string, string> = {}) {
  const queue = await sqs.createFifoQueue(`sources-${++queueCount}`);
  const settings = {
    LEMONSQUEEZY_WEBHOOK_SECRET: SECRETS.lemonsqueezy,
    POLAR_WEBHOOK_SECRET: SECRETS.polar,
    WORKOS_WEBHOOK_SECRET: SECRETS.workos,
    FULLSTORY_API_KEY_PARAMETER: PARAM,
    ...env,
  };
  const config = loadConfig({ ...settings, BRIDGE_QUEUE_URL: queue.queueUrl, BRIDGE_DEAD_LETTER_QUEUE_URL: queue.deadLetterQueueUrl });
  const ingest = createIngestHandler(() => ({
    config,
    queue: createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client }),
    secrets: createSecretsReader(config, { get: () => Promise.reject(new Error("no parameters on this stage")) }),
    log: createLogger(() => {}),
  }));
  const deliver = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue, env: settings });
  const drain = () => drainQueue({ client: sqs.client, queueUrl: queue.queueUrl, queueArn: queue.queueArn, handler: deliver.handler });
  const post = async (source: string, body: object) => {
    const payload = JSON.stringify(body);
    return parseResponse(await ingest(apiEvent({ path: `/webhooks/${source}`, headers: await signed(source, payload, body), body: payload })));
  };
  return { queue, post, drain };
}

async function signed(source: string, payload: string, body: object): Promise<Record<string, string>> {
  if (source === "lemonsqueezy") return { "x-signature": createHmac("sha256", SECRETS.lemonsqueezy).update(payload).digest("hex") };
  if (source === "workos") {
    const t = Date.now();
    return { "workos-signature": `t=${t}, v1=${await workos.computeSignature(t, body, SECRETS.workos)}` };
  }
  const id = crypto.randomUUID();
  const now = new Date();
  return { "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": new Webhook(SECRETS.polar).sign(id, now, payload) };
}

describe("Lemon Squeezy, Polar and WorkOS through ingest, SQS FIFO and deliver", () => {
  it("resolves a Lemon Squeezy payment without custom data to the user its subscription named, through the identity directory", async () => {
    const s = await stage();
    const uid = "ls-e2e-ada";
    const customer = 58_001;
    const subscription = lemonSqueezyEvent("subscription_created", "subscription", lsSubscription({ customer_id: customer }), { custom_data: { fullstory_uid: uid } });
    const payment = lemonSqueezyEvent("subscription_payment_success", "invoice", lsSubscriptionInvoice({ customer_id: customer }), { custom_data: null });
    expect((await s.post("lemonsqueezy", payment)).status).toBe(202);
    expect((await s.post("lemonsqueezy", subscription)).status).toBe(202);
    await s.drain();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({
      lemonsqueezy_customer_id: String(customer),
      subscription_status: "active",
      last_payment_amount: 147,
      currency: "usd",
    });
    expect(await readQueue(sqs.client, s.queue.deadLetterQueueUrl)).toEqual([]);
  });

  it("queues a Lemon Squeezy delivery re-sent with the same body once: its event id is the body's hash", async () => {
    const s = await stage();
    const body = lemonSqueezyEvent("subscription_updated", "subscription", lsSubscription(), { custom_data: { fullstory_uid: "ls-e2e-twice" } });
    const answers = [await s.post("lemonsqueezy", body), await s.post("lemonsqueezy", body)];
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    expect(answers[0]?.body.event_id).toBe(answers[1]?.body.event_id);
    const invocations = await s.drain();
    expect(invocations.flatMap((i) => i.records)).toHaveLength(1);
  });

  it("ignores a Lemon Squeezy test-mode event on a live stage and queues nothing", async () => {
    const s = await stage({ BRIDGE_LIVE: "true" });
    const body = lemonSqueezyEvent("subscription_updated", "subscription", lsSubscription(), { test_mode: true });
    expect(await s.post("lemonsqueezy", body)).toEqual({ status: 200, body: { status: "ignored", reason: "test_mode_event" } });
    expect(await s.drain()).toEqual([]);
  });

  it("writes a Polar subscription and its paid order on the customer's external_id", async () => {
    const s = await stage();
    const uid = "polar-e2e-ada";
    const customer = polarCustomer({ id: "3f0c8b8e-0d51-4d59-a1a4-7a5b1e9a0c11", external_id: uid });
    expect((await s.post("polar", polarEvent("subscription.active", polarSubscription({ customer_id: customer.id, customer })))).status).toBe(202);
    expect((await s.post("polar", polarEvent("order.paid", polarOrder({ customer_id: customer.id, customer })))).status).toBe(202);
    await s.drain();
    expect(fullstory.users.get(uid)).toMatchObject({
      email: "ada@example.com",
      display_name: "Ada Lovelace",
      properties: { billing_provider: "polar", subscription_status: "active", mrr: 147, plan: "Pro", last_payment_amount: 58.8 },
    });
  });

  it("resolves a WorkOS user.deleted without external_id under WORKOS_UID_FIELD=external_id, from the id learned on user.created", async () => {
    const s = await stage({ WORKOS_UID_FIELD: "external_id" });
    const created = workosEvent("user.created", workosUser(), { id: "event_01JABE2ECREATED00000000001", created_at: "2025-02-01T00:00:00.000Z" });
    const deleted = workosEvent("user.deleted", { object: "user", id: USER_ID }, { id: "event_01JABE2EDELETED00000000001", created_at: "2025-02-02T00:00:00.000Z" });
    expect((await s.post("workos", created)).status).toBe(202);
    await s.drain();
    expect((await s.post("workos", deleted)).status).toBe(202);
    await s.drain();
    expect(fullstory.users.get(EXTERNAL_ID)).toMatchObject({
      email: "marcelina.davis@example.com",
      properties: { signed_up_at: "2025-01-01T12:00:00.000Z", email_verified: true, account_deleted: true },
    });
    expect(fullstory.users.has(USER_ID)).toBe(false);
  });
});
