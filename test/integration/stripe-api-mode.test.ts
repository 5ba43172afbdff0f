import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { deployedStage, localStage, type BridgeStage } from "../support/bridge-stage";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { startStripeApiFake, stripeExample, type StripeApiFake } from "../support/stripe-api-fake";
import { customerObject, priceObject, stripeEvent, subscriptionItem, subscriptionObject, thinEvent } from "../support/stripe-events";

/**
 * Stripe API mode from the webhook to Fullstory, on both paths: deliver reads each object as Stripe
 * holds it now, through the official `stripe` client pointed at a loopback Stripe API fake, instead
 * of trusting the event's snapshot.
 */

const KEY = "na1.api-mode-key";
const STRIPE_SECRET = "whsec_api_mode_stripe";
const stripe = new Stripe("sk_test_unused");

let fullstory: FullstoryFake;
let api: StripeApiFake;
let stage: BridgeStage;
beforeAll(async () => {
  [fullstory, api] = await Promise.all([startFullstoryFake({ keys: [KEY] }), startStripeApiFake()]);
});
afterAll(() => Promise.all([fullstory.stop(), api.stop()]));

let n = 0;
/** A customer with its uid in its metadata (only there), and one subscription, as Stripe holds them now. */
function account(subscription: Record<string, unknown> = {}) {
  n++;
  const ids = { customer: `cus_Api${n}`, uid: `user_api_${n}`, sub: `sub_Api${n}` };
  api.customers.set(ids.customer, stripeExample("customer", { id: ids.customer, email: `api${n}@example.com`, metadata: { fullstory_uid: ids.uid } }));
  api.subscriptions.set(ids.sub, stripeExample("subscription", { id: ids.sub, customer: ids.customer, status: "active", metadata: {}, ...subscription }));
  return ids;
}

async function post(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  const res = await stage.post("stripe", payload, { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) });
  expect(res.status).toBe(202);
}

const apiCalls = (path: RegExp) => api.requests.filter((r) => path.test(r.path)).length;
const upsertsFor = (uid: string) => fullstory.requests.filter((r) => r.uid === uid && r.status === 200);
/** An event created well before now: a fetch now covers it. */
const past = (id: string, secondsAgo: number) => ({ id, created: Math.floor(Date.now() / 1000) - secondsAgo });

describe.each(["deployed", "local"] as const)("Stripe API mode (%s)", (mode) => {
  afterEach(() => stage?.stop());
  const start = async (withKey = true) => {
    const env = { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, ...(withKey ? { STRIPE_API_KEY: api.apiKey, STRIPE_API_URL: api.url } : {}) };
    const options = { fullstory, fullstoryKey: KEY, env };
    stage = mode === "deployed" ? await deployedStage(options) : await localStage(options);
  };

  it("writes the subscription as Stripe holds it now, not the stale snapshot, and finds the uid on the Customer", async () => {
    await start();
    const { customer, uid, sub } = account({ status: "canceled", canceled_at: 1_706_900_000 });
    // The snapshot (an older update) still says active, and names no uid.
    await post(stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata: {} }), past(`evt_stale${n}`, 60)));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ subscription_id: sub, subscription_status: "canceled", mrr: 0 });
    // The uid found on the Customer is kept: the directory resolves the customer from now on.
    const { uids } = await stage.state.read({ subjects: [{ source: "stripe", subject: customer }], orders: [] });
    expect([...uids.values()]).toEqual([uid]);
  });

  it("delivers a thin event as its related object's current state", async () => {
    await start();
    const { customer, uid, sub } = account();
    await post(thinEvent("customer.subscription.updated", { id: sub, type: "subscription" }, { id: `evt_thin${n}` }));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ stripe_customer_id: customer, subscription_id: sub, subscription_status: "active", mrr: 20 });
    expect(await stage.parked()).toEqual([]);
  });

  it("covers later events of a family with one fetch: three subscription updates, one list call and one upsert", async () => {
    await start();
    const { customer, uid, sub } = account();
    const before = { lists: apiCalls(/^\/v1\/subscriptions$/), upserts: upsertsFor(uid).length };
    for (let i = 0; i < 3; i++) {
      await post(stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid } }), past(`evt_cov${n}_${i}`, 60 - i)));
    }
    await stage.settle();
    expect(apiCalls(/^\/v1\/subscriptions$/) - before.lists).toBe(1);
    expect(upsertsFor(uid).length - before.upserts).toBe(1);
  });

  it("retries through Stripe's 429 and 5xx, and parks an object Stripe no longer has as object_missing", async () => {
    await start();
    const { customer, uid, sub } = account();
    const refusedBefore = api.requests.filter((r) => r.status === 429 || r.status === 503).length;
    api.faults.push({ status: 429 }, { status: 503 });
    await post(stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid } }), past(`evt_retry${n}`, 30)));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ subscription_id: sub });
    expect(api.requests.filter((r) => r.status === 429 || r.status === 503).length - refusedBefore).toBe(2);

    await post(thinEvent("charge.refunded", { id: `ch_gone${n}`, type: "charge" }, { id: `evt_gone${n}` }));
    await stage.settle();
    const letters = await stage.deadLetters();
    expect(letters.map((l) => [l.event_id, l.reason])).toEqual([[`evt_gone${n}`, "object_missing"]]);
  });

  it("counts every item of a subscription with more than ten, fetching the rest page by page", async () => {
    await start();
    const items = Array.from({ length: 12 }, (_, i) => subscriptionItem({ id: `si_${n}_${i}`, price: priceObject({ id: `price_${i}`, unit_amount: 1000 }), quantity: 1 }));
    const { customer, uid, sub } = account({ items: { object: "list", data: items, has_more: false } });
    await post(stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid } }), past(`evt_items${n}`, 30)));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ seats: 12, mrr: 120 });
    expect(apiCalls(/^\/v1\/subscription_items$/)).toBeGreaterThan(0);
  });

  it("parks a thin event until a Stripe key is set, naming the setting, then delivers it", async () => {
    await start(false);
    const { uid, sub } = account();
    await post(thinEvent("customer.subscription.updated", { id: sub, type: "subscription" }, { id: `evt_nokey${n}` }));
    await stage.settle();
    expect((await stage.parked()).map((l) => l.failure.reason)).toEqual(["stripe_api_key_missing"]);
    expect(fullstory.users.has(uid)).toBe(false);

    await stage.redeploy({ STRIPE_API_KEY: api.apiKey, STRIPE_API_URL: api.url });
    // A deployed container releases them on its first batch, so something must come in.
    await post(stripeEvent("customer.updated", customerObject({ id: `cus_other${n}`, metadata: { fullstory_uid: `other${n}` } }), { id: `evt_wake${n}` }));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ subscription_id: sub });
    expect(await stage.parked()).toEqual([]);
  });
});

describe("Stripe API mode settings", () => {
  it("reads a restricted key inline or from an SSM parameter, not both, and points the client at STRIPE_API_URL", () => {
    expect(loadConfig({ STRIPE_API_KEY: "rk_live_x" }).stripeApi).toEqual({ key: { kind: "values", values: ["rk_live_x"] }, url: "https://api.stripe.com" });
    expect(loadConfig({ STRIPE_API_KEY_PARAMETER: "/fullstory-bridge/prod/stripe-api-key", STRIPE_API_URL: "http://127.0.0.1:1/" }).stripeApi).toEqual({
      key: { kind: "parameter", name: "/fullstory-bridge/prod/stripe-api-key" },
      url: "http://127.0.0.1:1",
    });
    expect(() => loadConfig({ STRIPE_API_KEY: "a", STRIPE_API_KEY_PARAMETER: "/b" })).toThrow(/STRIPE_API_KEY or STRIPE_API_KEY_PARAMETER/);
    expect(loadConfig({}).stripeApi).toBeUndefined();
  });
});
