import Stripe from "stripe";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deployedStage, localStage, type BridgeStage } from "../support/bridge-stage";
import { clerkEvent, clerkUser } from "../support/clerk-events";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { EVENT_CREATED, invoiceObject, priceObject, stripeEvent, subscriptionItem, subscriptionObject } from "../support/stripe-events";

/**
 * Lifecycle events from the webhook to Fullstory's `POST /v2/events`, on both paths (ingest, fauxqs
 * FIFO, deliver with DynamoDB on dynalite; and local mode), against the Fullstory fake built from
 * Fullstory's events OpenAPI description. Events are signed by the official libraries.
 */

const KEY = "na1.lifecycle-key";
const STRIPE_SECRET = "whsec_lifecycle_stripe";
const CLERK_SECRET = `whsec_${Buffer.from("lifecycle-clerk-secret-0123").toString("base64")}`;
const stripe = new Stripe("sk_test_unused");
const ON = { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, CLERK_WEBHOOK_SECRET: CLERK_SECRET, FULLSTORY_EVENTS: "true" };

let fullstory: FullstoryFake;
beforeAll(async () => {
  fullstory = await startFullstoryFake({ keys: [KEY] });
});
afterAll(() => fullstory.stop());

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${fullstory.url}${path}`, {
    method: "POST",
    headers: { authorization: `Basic ${KEY}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("the Fullstory fake's POST /v2/events, as Fullstory's events description has it", () => {
  it("records an event for a user, replays the same key and body, and refuses the same key with another body", async () => {
    const before = fullstory.events.length;
    const event = { name: "Probe", timestamp: "2024-02-01T00:00:00Z", user: { uid: "probe_user" }, properties: { n: 1 } };
    const first = await post("/v2/events", event, { "idempotency-key": "probe-key" });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({});
    expect((await post("/v2/events", event, { "idempotency-key": "probe-key" })).status).toBe(200);
    expect(fullstory.events.length).toBe(before + 1);
    expect(fullstory.requests.at(-1)?.replayed).toBe(true);
    const other = await post("/v2/events", { ...event, name: "Other" }, { "idempotency-key": "probe-key" });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ code: "idempotency_key_reused" });
  });

  it("refuses an event without a name, without a user, or with a name over 250 characters", async () => {
    expect(await (await post("/v2/events", { user: { uid: "u" } })).json()).toMatchObject({ code: "required_field" });
    expect((await post("/v2/events", { name: "x" })).status).toBe(400);
    expect((await post("/v2/events", { name: "x".repeat(251), user: { uid: "u" } })).status).toBe(400);
    expect((await post("/v2/events", { name: "x", user: { uid: "u" }, properties: { "bad name": 1 } })).status).toBe(400);
  });
});

let n = 0;
const ids = () => {
  n++;
  return { customer: `cus_Life${n}`, uid: `user_life_${n}`, sub: `sub_Life${n}` };
};
const at = (seconds: number) => ({ created: EVENT_CREATED + seconds });
const eventsOf = (uid: string) => fullstory.events.filter((e) => e.uid === uid);

describe.each(["deployed", "local"] as const)("lifecycle events end to end (%s)", (mode) => {
  let stage: BridgeStage;
  afterEach(() => stage?.stop());
  const start = async (env: Record<string, string> = ON) => {
    const options = { fullstory, fullstoryKey: KEY, env };
    stage = mode === "deployed" ? await deployedStage(options) : await localStage(options);
  };
  const postStripe = async (event: Record<string, unknown>) => {
    const payload = JSON.stringify(event);
    const res = await stage.post("stripe", payload, { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) });
    expect(res.status).toBe(202);
    return res.body;
  };

  it("sends the upsert first, then each event with its own Idempotency-Key, stamped with when it happened", async () => {
    await start();
    const { customer, uid, sub } = ids();
    const changed = subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid }, items: [subscriptionItem({ price: priceObject({ id: "price_Team", lookup_key: "team_monthly" }) })] });
    const previous = { status: "trialing", items: { object: "list", data: [subscriptionItem()], has_more: false } };
    const body = await postStripe(stripeEvent("customer.subscription.updated", changed, { id: `evt_life${n}`, ...at(7), data: { object: changed, previous_attributes: previous } }));
    expect(body).toMatchObject({ upserts: 1, events: 2 });
    await stage.settle();

    expect(fullstory.users.get(uid)?.properties).toMatchObject({ plan: "team_monthly", subscription_status: "active" });
    const events = eventsOf(uid);
    expect(events.map((e) => e.name)).toEqual(["Subscription Started", "Subscription Plan Changed"]);
    expect(events.every((e) => e.timestamp === new Date((EVENT_CREATED + 7) * 1000).toISOString())).toBe(true);
    expect(events[1]?.properties).toEqual({ plan: "team_monthly", previous_plan: "pro_monthly", mrr: 20, previous_mrr: 0 });
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(2);
    const paths = fullstory.requests.filter((r) => r.uid === uid).map((r) => r.path);
    expect(paths).toEqual(["/v2/users", "/v2/events", "/v2/events"]);
  });

  it("retries an event Fullstory answered 503 and sends it once", async () => {
    await start();
    const { customer, uid } = ids();
    let refused = 0;
    fullstory.faultFor = (r) => (r.path === "/v2/events" && r.uid === uid && refused++ === 0 ? { status: 503 } : undefined);
    try {
      await postStripe(stripeEvent("invoice.paid", invoiceObject({ customer, parent: { subscription_details: { metadata: { fullstory_uid: uid } } } }), { id: `evt_pay${n}` }));
      await stage.settle();
    } finally {
      fullstory.faultFor = undefined;
    }
    expect(refused).toBeGreaterThan(1);
    expect(eventsOf(uid).map((e) => e.name)).toEqual(["Payment Succeeded"]);
    expect(eventsOf(uid)[0]?.properties).toEqual({ amount: 20, currency: "usd" });
  });

  it("parks a message whose event Fullstory refuses, naming it, and a redrive a day later sends only what Fullstory did not accept", async () => {
    await start();
    const { customer, uid, sub } = ids();
    fullstory.faultFor = (r) => (r.path === "/v2/events" && r.uid === uid && (r.body as { name?: string })?.name === "Subscription Plan Changed" ? { status: 400 } : undefined);
    const changed = subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid }, items: [subscriptionItem({ price: priceObject({ id: "price_Team", lookup_key: "team_monthly" }) })] });
    const previous = { status: "trialing", items: { object: "list", data: [subscriptionItem()], has_more: false } };
    try {
      await postStripe(stripeEvent("customer.subscription.updated", changed, { id: `evt_rej${n}`, data: { object: changed, previous_attributes: previous } }));
      await stage.settle();
    } finally {
      fullstory.faultFor = undefined;
    }
    const letters = await stage.deadLetters();
    expect(letters.map((l) => [l.reason, l.status])).toEqual([["rejected", 400]]);
    expect(letters[0]?.message).toMatch(/^event "Subscription Plan Changed": /);
    expect(eventsOf(uid).map((e) => e.name)).toEqual(["Subscription Started"]);
    const parked = stage.delivered().find((l) => l.outcome === "dead_lettered");
    expect(parked).toMatchObject({ reason: "rejected" });

    // Fullstory keeps an Idempotency-Key's answer for 24 hours; the bridge's own record outlives it.
    fullstory.forgetIdempotencyKeys();
    expect((await stage.redrive()).map((o) => o.redriven)).toEqual([true]);
    await stage.settle();
    expect(eventsOf(uid).map((e) => e.name)).toEqual(["Subscription Started", "Subscription Plan Changed"]);
    expect(await stage.deadLetters()).toEqual([]);
  });

  it("sends the events of an event older than what was written, without writing its state", async () => {
    await start();
    const { customer, uid, sub } = ids();
    const active = subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid } });
    await postStripe(stripeEvent("customer.subscription.updated", active, { id: `evt_new${n}`, ...at(20) }));
    await stage.settle();
    const trial = subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid }, status: "trialing", trial_end: EVENT_CREATED + 86_400 });
    await postStripe(stripeEvent("customer.subscription.created", trial, { id: `evt_old${n}`, ...at(10) }));
    await stage.settle();

    expect(fullstory.users.get(uid)?.properties).toMatchObject({ subscription_status: "active" });
    expect(eventsOf(uid)).toEqual([expect.objectContaining({ name: "Trial Started", timestamp: new Date((EVENT_CREATED + 10) * 1000).toISOString() })]);
    expect(stage.delivered().find((l) => l.event_id === `evt_old${n}`)).toMatchObject({ outcome: "stale", events: 1 });
  });

  it("sends a Clerk signup as Signed Up, and no event at all when the feature is off", async () => {
    await start();
    const uid = `user_signup_${mode}`;
    const payload = JSON.stringify(clerkEvent("user.created", clerkUser({ id: uid })));
    const id = `msg_${mode}_signup`;
    const now = new Date();
    const headers = { "svix-id": id, "svix-timestamp": String(Math.floor(now.getTime() / 1000)), "svix-signature": new Webhook(CLERK_SECRET).sign(id, now, payload) };
    expect((await stage.post("clerk", payload, headers)).status).toBe(202);
    await stage.settle();
    expect(eventsOf(uid)).toEqual([expect.objectContaining({ name: "Signed Up", properties: { signup_source: "clerk" } })]);
    await stage.stop();

    await start({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET });
    const { customer, uid: off } = ids();
    const body = await postStripe(stripeEvent("invoice.paid", invoiceObject({ customer, parent: { subscription_details: { metadata: { fullstory_uid: off } } } }), { id: `evt_off${n}` }));
    expect(body.events).toBeUndefined();
    await stage.settle();
    expect(fullstory.users.has(off)).toBe(true);
    expect(eventsOf(off)).toEqual([]);
  });
});
