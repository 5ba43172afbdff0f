import path from "node:path";
import Stripe from "stripe";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runInProcess, workDir } from "../support/backfill";
import { localStage, type BridgeStage } from "../support/bridge-stage";
import { startClerkApiFake, type ClerkApiFake } from "../support/clerk-api-fake";
import { clerkEmailAddress, clerkEvent, clerkUser } from "../support/clerk-events";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { startStripeApiFake, type StripeApiFake } from "../support/stripe-api-fake";
import { customerObject, invoiceObject, priceObject, stripeEvent, subscriptionItem, subscriptionObject } from "../support/stripe-events";

/**
 * The backfill writes what the webhooks write: one customer (one Clerk user) is put on Fullstory
 * once by the webhook path (the real ingest and deliver code of local mode, its events signed by
 * the official libraries) and once by the backfill, into two Fullstory fakes, and the two users
 * must be the same: email, display name, every property and its declared type.
 */

const KEY = "na1.parity-key";
const STRIPE_SECRET = "whsec_parity_stripe";
const CLERK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const signer = new Stripe("sk_test_unused");

let viaWebhooks: FullstoryFake;
let viaBackfill: FullstoryFake;
let stripe: StripeApiFake;
let clerk: ClerkApiFake;
let stage: BridgeStage | undefined;
beforeAll(async () => {
  [viaWebhooks, viaBackfill, stripe, clerk] = await Promise.all([
    startFullstoryFake({ keys: [KEY] }),
    startFullstoryFake({ keys: [KEY] }),
    startStripeApiFake(),
    startClerkApiFake(),
  ]);
});
afterAll(() => Promise.all([viaWebhooks.stop(), viaBackfill.stop(), stripe.stop(), clerk.stop()]));
afterEach(async () => {
  await stage?.stop();
  stage = undefined;
});

/** What a user is on Fullstory, apart from Fullstory's own id. */
const user = (fake: FullstoryFake, uid: string) => {
  const found = fake.users.get(uid);
  return found && { email: found.email, display_name: found.display_name, properties: found.properties, schema: found.schema };
};

/** A customer as Stripe holds it now: a yearly two-seat subscription in a trial's aftermath, a paid invoice. */
function stripeAccount(n: number) {
  const ids = { customer: `cus_Parity${n}`, uid: `user_parity_${n}`, subscription: `sub_Parity${n}`, invoice: `in_Parity${n}` };
  const customer = customerObject({ id: ids.customer, email: `parity${n}@example.com`, name: `Parity ${n}`, metadata: { fullstory_uid: ids.uid } });
  const subscription = subscriptionObject({
    id: ids.subscription,
    customer: ids.customer,
    status: "past_due",
    trial_end: 1_704_000_000,
    cancel_at_period_end: true,
    metadata: {},
    items: [subscriptionItem({ price: priceObject({ id: "price_Yearly", lookup_key: "team_yearly", unit_amount: 120_000, recurring: { interval: "year", interval_count: 1, usage_type: "licensed" } }), quantity: 2 })],
  });
  // The uid is only on the Customer: the subscription and the invoice resolve through it.
  const invoice = invoiceObject({
    id: ids.invoice,
    customer: ids.customer,
    customer_email: `parity${n}@example.com`,
    customer_name: `Parity ${n}`,
    amount_paid: 240_000,
    parent: { type: "subscription_details", quote_details: null, subscription_details: { metadata: {}, subscription: ids.subscription } },
  });
  stripe.customers.set(ids.customer, customer);
  stripe.subscriptions.set(ids.subscription, subscription);
  stripe.invoices.set(ids.invoice, invoice);
  return { ids, customer, subscription, invoice };
}

describe.each([
  ["Stripe API mode", true],
  ["snapshots", false],
] as const)("a Stripe customer backfilled, against the webhook path in %s", (_mode, apiMode) => {
  it("ends as the same Fullstory user: email, display name, every property and its type", async () => {
    const n = apiMode ? 1 : 2;
    const { ids, customer, subscription, invoice } = stripeAccount(n);
    const apiEnv = { STRIPE_API_KEY: stripe.apiKey, STRIPE_API_URL: stripe.url };
    stage = await localStage({ fullstory: viaWebhooks, fullstoryKey: KEY, env: { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, ...(apiMode ? apiEnv : {}) } });
    const created = Math.floor(Date.now() / 1000) - 60;
    const events = [
      stripeEvent("customer.updated", customer, { id: `evt_c${n}`, created }),
      stripeEvent("customer.subscription.updated", subscription, { id: `evt_s${n}`, created: created + 1 }),
      stripeEvent("invoice.paid", invoice, { id: `evt_i${n}`, created: created + 2 }),
    ];
    for (const event of events) {
      const payload = JSON.stringify(event);
      const res = await stage.post("stripe", payload, { "stripe-signature": signer.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) });
      expect(res.status).toBe(202);
    }
    await stage.settle();

    const dir = workDir();
    const env = { FULLSTORY_API_KEY: KEY, FULLSTORY_API_URL: viaBackfill.url, ...apiEnv, BRIDGE_DATA_DIR: path.join(dir, "data") };
    const run = await runInProcess(["stripe", "--checkpoint", path.join(dir, "checkpoint.json")], env);
    expect(run.code).toBe(0);

    const fromWebhooks = user(viaWebhooks, ids.uid);
    expect(fromWebhooks?.properties).toMatchObject({ subscription_status: "past_due", mrr: 200, seats: 2, last_payment_amount: 2400, customer_since: expect.any(String) });
    expect(user(viaBackfill, ids.uid)).toEqual(fromWebhooks);
  });
});

describe("a Clerk user backfilled, against the webhook path", () => {
  it("ends as the same Fullstory user: email, display name, every property and its type", async () => {
    const data = clerkUser({
      id: "user_parity_clerk",
      first_name: "Grace",
      last_name: "Hopper",
      primary_email_address_id: "idn_parity",
      email_addresses: [clerkEmailAddress("idn_old", "old@example.com", "unverified"), clerkEmailAddress("idn_parity", "grace@example.com")],
      last_sign_in_at: 1_718_500_000_000,
    });
    clerk.users.push(data);
    stage = await localStage({ fullstory: viaWebhooks, fullstoryKey: KEY, env: { CLERK_WEBHOOK_SECRET: CLERK_SECRET } });
    const payload = JSON.stringify(clerkEvent("user.created", data));
    const when = new Date();
    const headers = { "svix-id": "msg_parity", "svix-timestamp": String(Math.floor(when.getTime() / 1000)), "svix-signature": new Webhook(CLERK_SECRET).sign("msg_parity", when, payload) };
    expect((await stage.post("clerk", payload, headers)).status).toBe(202);
    await stage.settle();

    const dir = workDir();
    const env = { FULLSTORY_API_KEY: KEY, FULLSTORY_API_URL: viaBackfill.url, CLERK_SECRET_KEY: clerk.secretKey, CLERK_API_URL: clerk.url, BRIDGE_DATA_DIR: path.join(dir, "data") };
    const run = await runInProcess(["clerk", "--checkpoint", path.join(dir, "checkpoint.json")], env);
    expect(run.code).toBe(0);

    const fromWebhooks = user(viaWebhooks, "user_parity_clerk");
    expect(fromWebhooks).toMatchObject({ email: "grace@example.com", display_name: "Grace Hopper", properties: { email_verified: true } });
    expect(user(viaBackfill, "user_parity_clerk")).toEqual(fromWebhooks);
  });
});
