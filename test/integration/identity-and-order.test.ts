import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deployedStage, localStage, type BridgeStage } from "../support/bridge-stage";
import { clerkDeletedUser, clerkEvent, clerkUser, USER_ID } from "../support/clerk-events";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import {
  EVENT_CREATED,
  chargeObject,
  checkoutSessionObject,
  customerObject,
  invoiceObject,
  stripeEvent,
  subscriptionObject,
} from "../support/stripe-events";

/**
 * The identity directory and the stale-event guard, from the webhook to Fullstory, on both paths:
 * the deployed shape (ingest, fauxqs FIFO, deliver, DynamoDB on dynalite) and local mode (SQLite
 * queue and state, the delivery loop). Events are signed by the official libraries.
 */

const KEY = "na1.identity-key";
const STRIPE_SECRET = "whsec_identity_stripe";
const CLERK_SECRET = `whsec_${Buffer.from("identity-clerk-secret-0123").toString("base64")}`;
const stripe = new Stripe("sk_test_unused");
const env = { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, CLERK_WEBHOOK_SECRET: CLERK_SECRET };

let fullstory: FullstoryFake;
let stage: BridgeStage;
beforeAll(async () => {
  fullstory = await startFullstoryFake({ keys: [KEY] });
});
afterAll(() => fullstory.stop());

let n = 0;
/** Each test its own customer and uid, so the shared Fullstory fake keeps them apart. */
const ids = () => {
  n++;
  return { customer: `cus_Identity${n}`, uid: `user_identity_${n}`, sub: `sub_Identity${n}` };
};

async function postStripe(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  const res = await stage.post("stripe", payload, { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) });
  expect(res.status).toBe(202);
}

async function postClerk(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  const id = `msg_${crypto.randomUUID()}`;
  const now = new Date();
  const headers = { "svix-id": id, "svix-timestamp": String(Math.floor(now.getTime() / 1000)), "svix-signature": new Webhook(CLERK_SECRET).sign(id, now, payload) };
  expect((await stage.post("clerk", payload, headers)).status).toBe(202);
}

const at = (seconds: number) => ({ created: EVENT_CREATED + seconds });

describe.each(["deployed", "local"] as const)("identity directory and stale-event guard (%s)", (mode) => {
  afterEach(() => stage?.stop());
  const start = async (extra: Record<string, string> = {}) => {
    const options = { fullstory, fullstoryKey: KEY, env: { ...env, ...extra } };
    stage = mode === "deployed" ? await deployedStage(options) : await localStage(options);
  };

  it("gives a user whose uid is only on the Stripe Customer its subscription, invoice and refund properties", async () => {
    await start();
    const { customer, uid, sub } = ids();
    await postStripe(stripeEvent("customer.created", customerObject({ id: customer, metadata: { fullstory_uid: uid } }), { id: `evt_c${n}`, ...at(1) }));
    await stage.settle();
    await postStripe(stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata: {} }), { id: `evt_s${n}`, ...at(2) }));
    await postStripe(stripeEvent("invoice.paid", invoiceObject({ customer, metadata: {}, parent: null }), { id: `evt_i${n}`, ...at(3) }));
    await postStripe(stripeEvent("charge.refunded", chargeObject({ customer, metadata: {} }), { id: `evt_r${n}`, ...at(4) }));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({
      stripe_customer_id: customer,
      subscription_id: sub,
      subscription_status: "active",
      mrr: 20,
      last_payment_amount: 20,
      last_refund_amount: 5,
    });
    expect(await stage.parked()).toEqual([]);
    // Resolved through the directory on first delivery: none of them waited, even for a moment.
    const outcomes = stage.delivered().map((l) => [l.event_id, l.outcome]);
    expect(outcomes).toEqual(expect.arrayContaining([[`evt_s${n}`, "delivered"], [`evt_i${n}`, "delivered"], [`evt_r${n}`, "delivered"]]));
    expect(outcomes.filter(([, outcome]) => outcome !== "delivered")).toEqual([]);
  });

  it("parks a subscription event that arrives before its customer, and delivers it once the customer event teaches the uid", async () => {
    await start();
    const { customer, uid, sub } = ids();
    await postStripe(stripeEvent("customer.subscription.created", subscriptionObject({ id: sub, customer, metadata: {} }), { id: `evt_s${n}`, ...at(2) }));
    await stage.settle();
    expect((await stage.parked()).map((l) => l.failure.reason)).toEqual(["uid_unresolved"]);
    expect(fullstory.users.has(uid)).toBe(false);

    await postStripe(stripeEvent("customer.created", customerObject({ id: customer, metadata: { fullstory_uid: uid } }), { id: `evt_c${n}`, ...at(1) }));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ subscription_id: sub, stripe_customer_id: customer, customer_since: expect.any(String) });
    expect(await stage.parked()).toEqual([]);
    expect(await stage.deadLetters()).toEqual([]);
  });

  it("does not let an older subscription event, arriving late, turn a churned user back into a paying one", async () => {
    await start();
    const { customer, uid, sub } = ids();
    const metadata = { fullstory_uid: uid };
    await postStripe(stripeEvent("customer.subscription.deleted", subscriptionObject({ id: sub, customer, metadata, status: "canceled" }), { id: `evt_d${n}`, ...at(20) }));
    await stage.settle();
    await postStripe(stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata }), { id: `evt_u${n}`, ...at(10) }));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ subscription_status: "canceled", mrr: 0 });
    // The late one was skipped, not sent.
    expect(fullstory.requests.filter((r) => r.uid === uid)).toHaveLength(1);
  });

  it("writes a newer event that waited for its uid even after an older one of the same subscription was written", async () => {
    await start();
    const { customer, uid, sub } = ids();
    // The newer event names no uid and waits; the older one names it, is written, and teaches it.
    await postStripe(stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata: {}, status: "past_due" }), { id: `evt_new${n}`, ...at(30) }));
    await stage.settle();
    await postStripe(stripeEvent("customer.subscription.created", subscriptionObject({ id: sub, customer, metadata: { fullstory_uid: uid } }), { id: `evt_old${n}`, ...at(10) }));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ subscription_status: "past_due" });
    expect(await stage.parked()).toEqual([]);
  });

  it("learns a checkout session's client_reference_id for its customer, and resolves the customer's later invoices by it", async () => {
    await start();
    const { customer, uid } = ids();
    await postStripe(stripeEvent("checkout.session.completed", checkoutSessionObject({ customer, metadata: {}, client_reference_id: uid }), { id: `evt_k${n}`, ...at(1) }));
    await stage.settle();
    await postStripe(stripeEvent("invoice.payment_failed", invoiceObject({ customer, metadata: {}, parent: null, attempt_count: 2 }), { id: `evt_f${n}`, ...at(2) }));
    await stage.settle();
    expect(fullstory.users.get(uid)?.properties).toMatchObject({ checkout_completed_at: expect.any(String), payment_attempt_count: 2 });
  });

  it("takes a changed uid in the Customer's metadata from then on", async () => {
    await start();
    const { customer, uid, sub } = ids();
    const renamed = `${uid}_renamed`;
    await postStripe(stripeEvent("customer.created", customerObject({ id: customer, metadata: { fullstory_uid: uid } }), { id: `evt_a${n}`, ...at(1) }));
    await stage.settle();
    await postStripe(stripeEvent("customer.updated", customerObject({ id: customer, metadata: { fullstory_uid: renamed } }), { id: `evt_b${n}`, ...at(2) }));
    await postStripe(stripeEvent("customer.subscription.created", subscriptionObject({ id: sub, customer, metadata: {} }), { id: `evt_s${n}`, ...at(3) }));
    await stage.settle();
    expect(fullstory.users.get(renamed)?.properties).toMatchObject({ subscription_id: sub });
    expect(fullstory.users.get(uid)?.properties.subscription_id).toBeUndefined();
  });

  it("resolves Clerk's user.deleted under CLERK_UID_FIELD=external_id through the id learned from the user's earlier events", async () => {
    await start({ CLERK_UID_FIELD: "external_id" });
    const external = `acct_${n}_${mode}`;
    await postClerk(clerkEvent("user.created", clerkUser({ external_id: external }), { timestamp: 1_718_000_000_000 }));
    await stage.settle();
    await postClerk(clerkEvent("user.deleted", clerkDeletedUser(USER_ID), { timestamp: 1_718_000_100_000 }));
    await stage.settle();
    expect(fullstory.users.get(external)?.properties).toMatchObject({ account_deleted: true, signed_up_at: expect.any(String) });
    expect(await stage.parked()).toEqual([]);
  });
});
