import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import { CHARGEBEE_MAPPED_EVENT_TYPES, chargebeeSource } from "../../functions/sources/chargebee";
import type { Mapped, Normalised } from "../../functions/sources/types";
import {
  CUSTOMER_ID,
  RESOURCE_VERSION,
  chargebeeCustomer,
  chargebeeEvent,
  chargebeeInvoice,
  chargebeeItem,
  chargebeeSubscription,
  chargebeeTransaction,
} from "../support/chargebee-events";

const config: Config = loadConfig({});
const byMetaData: Config = loadConfig({ CHARGEBEE_UID_FIELD: "meta_data.app_user_id" });
const VERIFIED = { timestamp: 1_706_745_601 };

function normalise(body: Record<string, unknown>, c: Config = config): Normalised {
  const parsed = chargebeeSource.parse(body, VERIFIED);
  if (parsed.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return chargebeeSource.normalise(parsed.event, c);
}

function mapped(body: Record<string, unknown>, c: Config = config): Mapped {
  const result = normalise(body, c);
  if (result.kind !== "mapped") throw new Error(`expected a mapping, got ${JSON.stringify(result)}`);
  return result.mapped;
}

const subscriptionEvent = (type: string, subscription: Record<string, unknown> = chargebeeSubscription()) =>
  chargebeeEvent(type, { subscription, customer: chargebeeCustomer(), card: { status: "valid", object: "card" } });
const props = (body: Record<string, unknown>, c?: Config) => mapped(body, c).patch?.properties;

describe("chargebee parse", () => {
  it("takes the event id and occurred_at (seconds), and leaves livemode unknown: a test site's events look like a live site's", () => {
    const parsed = chargebeeSource.parse(subscriptionEvent("subscription_created"), VERIFIED);
    expect(parsed).toMatchObject({ kind: "event", event: { id: "ev_AzZlGJTyZ5NBb2Kk", type: "subscription_created", occurredAt: "2024-02-01T00:00:00.000Z" } });
    expect(parsed.kind === "event" && "livemode" in parsed.event).toBe(false);
  });

  it("ignores a structurally valid event of an unmapped type", () => {
    expect(chargebeeSource.parse(chargebeeEvent("invoice_generated", { invoice: chargebeeInvoice() }), VERIFIED)).toEqual({ kind: "ignored", reason: "unmapped_event_type" });
  });

  it("answers a schema mismatch with the paths in the body, never the values", () => {
    expect(chargebeeSource.parse(subscriptionEvent("subscription_changed", chargebeeSubscription({ status: "dunning" })), VERIFIED)).toEqual({
      kind: "invalid",
      issues: ["content.subscription.status"],
    });
    expect(chargebeeSource.parse({ ...subscriptionEvent("subscription_changed"), occurred_at: "2024-02-01" }, VERIFIED)).toEqual({ kind: "invalid", issues: ["occurred_at"] });
  });

  it("maps every event type the issue lists", () => {
    expect([...CHARGEBEE_MAPPED_EVENT_TYPES].sort()).toEqual(
      [
        "subscription_created", "subscription_activated", "subscription_changed", "subscription_renewed", "subscription_cancelled",
        "subscription_reactivated", "subscription_paused", "subscription_resumed", "subscription_cancellation_scheduled",
        "payment_succeeded", "payment_failed", "payment_refunded", "customer_created", "customer_changed",
      ].sort(),
    );
  });
});

describe("chargebee subscriptions", () => {
  it.each(["subscription_created", "subscription_activated", "subscription_changed", "subscription_renewed", "subscription_reactivated", "subscription_resumed"])(
    "maps %s to the vocabulary, by customer id, ordered per customer by the subscription's resource_version",
    (type) => {
      expect(mapped(subscriptionEvent(type))).toEqual({
        uid: CUSTOMER_ID,
        subject: CUSTOMER_ID,
        order: { key: `subscription:${CUSTOMER_ID}`, at: RESOURCE_VERSION },
        patch: {
          email: "ada@example.com",
          display_name: "Ada Lovelace",
          properties: {
            billing_provider: "chargebee",
            chargebee_customer_id: CUSTOMER_ID,
            subscription_id: "AzZlGJTyZ5N3h2Kb",
            plan: "pro-USD-monthly",
            plan_interval: "month",
            plan_interval_count: 1,
            subscription_status: "active",
            seats: 1,
            mrr: 20,
            currency: "usd",
            current_period_end: "2024-03-01T00:00:00.000Z",
            cancel_at_period_end: false,
          },
          schema: {
            properties: {
              billing_provider: "str", chargebee_customer_id: "str", subscription_id: "str", plan: "str", plan_interval: "str", plan_interval_count: "int",
              subscription_status: "str", seats: "int", mrr: "real", currency: "str", current_period_end: "date", cancel_at_period_end: "bool",
            },
          },
        },
        // Created active, or activated: the subscription starts (test/unit/lifecycle-chargebee.test.ts); the others record no moment.
        events: ["subscription_created", "subscription_activated"].includes(type)
          ? [{ name: "Subscription Started", properties: { plan: ["str", "pro-USD-monthly"], mrr: ["real", 20], currency: ["str", "usd"], plan_interval: ["str", "month"], seats: ["int", 1] } }]
          : undefined,
      });
    },
  );

  it("maps subscription_cancellation_scheduled (non_renewing) to active, cancel_at_period_end, and canceled_at when it was asked for", () => {
    const sub = chargebeeSubscription({ status: "non_renewing", cancelled_at: 1_709_251_200, cancel_schedule_created_at: 1_706_745_000 });
    expect(props(subscriptionEvent("subscription_cancellation_scheduled", sub))).toMatchObject({
      subscription_status: "active",
      cancel_at_period_end: true,
      mrr: 20,
      canceled_at: "2024-01-31T23:50:00.000Z",
    });
  });

  it("maps subscription_cancelled to canceled with MRR 0 and its cancellation time", () => {
    const sub = chargebeeSubscription({ status: "cancelled", cancelled_at: 1_706_745_600, mrr: 0, current_term_end: undefined });
    const p = props(subscriptionEvent("subscription_cancelled", sub));
    expect(p).toMatchObject({ subscription_status: "canceled", mrr: 0, canceled_at: "2024-02-01T00:00:00.000Z", cancel_at_period_end: false });
    expect(p).not.toHaveProperty("current_period_end");
  });

  it("maps subscription_paused to paused with MRR 0, whatever Chargebee's mrr says", () => {
    expect(props(subscriptionEvent("subscription_paused", chargebeeSubscription({ status: "paused", mrr: 2000 })))).toMatchObject({ subscription_status: "paused", mrr: 0 });
  });

  it("maps in_trial to trialing with the trial end, and future to incomplete (not started, not paying)", () => {
    expect(props(subscriptionEvent("subscription_created", chargebeeSubscription({ status: "in_trial", trial_end: 1_707_350_400 })))).toMatchObject({
      subscription_status: "trialing",
      trial_ends_at: "2024-02-08T00:00:00.000Z",
      mrr: 0,
    });
    expect(props(subscriptionEvent("subscription_created", chargebeeSubscription({ status: "future" })))).toMatchObject({ subscription_status: "incomplete", mrr: 0 });
  });

  it("prefers Chargebee's own mrr, and computes it from plan and addon items (not one-time charges) when it is absent", () => {
    expect(props(subscriptionEvent("subscription_changed", chargebeeSubscription({ mrr: 1234 })))?.mrr).toBe(12.34);
    const items = [
      chargebeeItem({ quantity: 3, unit_price: 1000, amount: 3000 }),
      chargebeeItem({ item_price_id: "storage-USD-yearly", item_type: "addon", quantity: 2, unit_price: 6000, amount: undefined, billing_period: 1, billing_period_unit: "year" }),
      chargebeeItem({ item_price_id: "setup-USD", item_type: "charge", quantity: 1, unit_price: 9900, amount: 9900 }),
    ];
    expect(props(subscriptionEvent("subscription_changed", chargebeeSubscription({ mrr: undefined, items })))).toMatchObject({ mrr: 30 + 10, seats: 5, plan: "pro-USD-monthly" });
  });

  it("leaves MRR out when neither mrr nor items can tell it (a Product Catalog 1.0 subscription), still naming plan and seats", () => {
    const v1 = chargebeeSubscription({ mrr: undefined, subscription_items: undefined, plan_id: "pro-monthly", plan_quantity: 4, addons: [{ id: "extra-seat", quantity: 2 }] });
    const p = props(subscriptionEvent("subscription_changed", v1));
    expect(p).not.toHaveProperty("mrr");
    expect(p).toMatchObject({ plan: "pro-monthly", seats: 6 });
  });

  it("takes the uid from the customer's meta_data under CHARGEBEE_UID_FIELD=meta_data.<key>, and learns customer id → uid", () => {
    expect(mapped(subscriptionEvent("subscription_changed"), byMetaData)).toMatchObject({ uid: "acct-42", subject: CUSTOMER_ID });
    const without = chargebeeEvent("subscription_changed", { subscription: chargebeeSubscription() });
    expect(mapped(without, byMetaData)).toMatchObject({ uid: undefined, subject: CUSTOMER_ID });
    expect(mapped(without).uid).toBe(CUSTOMER_ID);
  });

  it("does not order an object that carries no resource_version", () => {
    expect(mapped(subscriptionEvent("subscription_changed", chargebeeSubscription({ resource_version: undefined }))).order).toBeUndefined();
  });
});

describe("chargebee payments and customers", () => {
  const paymentEvent = (type: string, transaction: Record<string, unknown>, invoice = chargebeeInvoice()) =>
    chargebeeEvent(type, { transaction, invoice, customer: chargebeeCustomer(), subscription: chargebeeSubscription() });

  it("maps payment_succeeded to the last payment: its date and amount, ordered by the transaction's resource_version", () => {
    expect(mapped(paymentEvent("payment_succeeded", chargebeeTransaction()))).toMatchObject({
      uid: CUSTOMER_ID,
      subject: CUSTOMER_ID,
      order: { key: `payment:${CUSTOMER_ID}`, at: RESOURCE_VERSION },
      patch: { properties: { billing_provider: "chargebee", chargebee_customer_id: CUSTOMER_ID, last_payment_at: "2024-01-31T23:59:50.000Z", last_payment_amount: 20, currency: "usd" } },
    });
  });

  it("writes no last payment for a $0 payment", () => {
    const m = mapped(paymentEvent("payment_succeeded", chargebeeTransaction({ amount: 0 })));
    expect(m.patch?.properties).toEqual({ billing_provider: "chargebee", chargebee_customer_id: CUSTOMER_ID });
    expect(m.order).toBeUndefined();
  });

  it("maps payment_failed to the failure time and the invoice's dunning attempts", () => {
    const invoice = chargebeeInvoice({ status: "payment_due", dunning_attempts: [{ attempt: 0, dunning_type: "auto_collect" }, { attempt: 1, dunning_type: "auto_collect" }] });
    expect(mapped(paymentEvent("payment_failed", chargebeeTransaction({ status: "failure" }), invoice))).toMatchObject({
      order: { key: `payment_failed:${CUSTOMER_ID}`, at: RESOURCE_VERSION },
      patch: { properties: { payment_failed_at: "2024-02-01T00:00:00.000Z", payment_attempt_count: 2 } },
    });
    expect(props(paymentEvent("payment_failed", chargebeeTransaction({ status: "failure" })))).toMatchObject({ payment_attempt_count: 1 });
  });

  it("maps payment_refunded to the last refund: the refund transaction's amount", () => {
    expect(mapped(paymentEvent("payment_refunded", chargebeeTransaction({ type: "refund", amount: 500 })))).toMatchObject({
      order: { key: `refund:${CUSTOMER_ID}`, at: RESOURCE_VERSION },
      patch: { properties: { last_refund_at: "2024-02-01T00:00:00.000Z", last_refund_amount: 5 } },
    });
  });

  it.each(["customer_created", "customer_changed"])("maps %s with email, name and customer_since, ordered by the customer's resource_version", (type) => {
    expect(mapped(chargebeeEvent(type, { customer: chargebeeCustomer() }))).toEqual({
      uid: CUSTOMER_ID,
      subject: CUSTOMER_ID,
      order: { key: `customer:${CUSTOMER_ID}`, at: RESOURCE_VERSION },
      patch: {
        email: "ada@example.com",
        display_name: "Ada Lovelace",
        properties: { billing_provider: "chargebee", chargebee_customer_id: CUSTOMER_ID, customer_since: "2024-01-01T00:00:00.000Z" },
        schema: { properties: { billing_provider: "str", chargebee_customer_id: "str", customer_since: "date" } },
      },
    });
  });
});
