import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import { lemonsqueezySource } from "../../functions/sources/lemonsqueezy";
import type { Mapped, Verified } from "../../functions/sources/types";
import { CUSTOMER_ID, SUBSCRIPTION_ID, lemonSqueezyEvent, lsOrder, lsSubscription, lsSubscriptionInvoice } from "../support/lemonsqueezy-events";

const VERIFIED: Verified = { id: "a".repeat(64), timestamp: 1_738_368_000 };
const config: Config = loadConfig({});
const CUSTOMER = String(CUSTOMER_ID);

function parseEvent(body: unknown) {
  const parsed = lemonsqueezySource.parse(body, VERIFIED);
  if (parsed.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
}

function mappedOf(body: unknown, c: Config = config): Mapped {
  const result = lemonsqueezySource.normalise(parseEvent(body), c);
  if (result.kind !== "mapped") throw new Error(`expected a mapping, got ${JSON.stringify(result)}`);
  return result.mapped;
}

const subscriptionEvent = (name: string, overrides: Record<string, unknown> = {}) => lemonSqueezyEvent(name, "subscription", lsSubscription(overrides));
const invoiceEvent = (name: string, overrides: Record<string, unknown> = {}) => lemonSqueezyEvent(name, "invoice", lsSubscriptionInvoice(overrides));

describe("Lemon Squeezy events", () => {
  it("takes the body hash as the event id, meta.event_name as the type and the object's updated_at as the time", () => {
    expect(parseEvent(subscriptionEvent("subscription_updated"))).toMatchObject({
      id: VERIFIED.id,
      type: "subscription_updated",
      occurredAt: "2025-02-01T00:00:00.000Z",
      livemode: true,
    });
  });

  it("marks a test-mode event as not live, from meta.test_mode or else the object's own test_mode", () => {
    expect(parseEvent(lemonSqueezyEvent("subscription_created", "subscription", lsSubscription(), { test_mode: true })).livemode).toBe(false);
    const { test_mode: _, ...meta } = lemonSqueezyEvent("order_created", "order", lsOrder({ test_mode: true })).meta as Record<string, unknown>;
    expect(parseEvent({ ...lemonSqueezyEvent("order_created", "order", lsOrder({ test_mode: true })), meta }).livemode).toBe(false);
  });

  it("ignores event types it does not map, whatever their data", () => {
    for (const name of ["license_key_created", "subscription_payment_recovered", "order_refunded"]) {
      expect(lemonsqueezySource.parse(lemonSqueezyEvent(name, "order", { customer_id: "x" }), VERIFIED)).toEqual({ kind: "ignored", reason: "unmapped_event_type" });
    }
  });

  it("refuses a mapped event whose data is another kind of object", () => {
    expect(lemonsqueezySource.parse(lemonSqueezyEvent("subscription_updated", "order", lsSubscription()), VERIFIED)).toEqual({ kind: "invalid", issues: ["data.type"] });
  });

  it("reports the body's paths of a malformed subscription, never the values", () => {
    const parsed = lemonsqueezySource.parse(subscriptionEvent("subscription_updated", { customer_id: "ada@example.com", renews_at: "2025-02-15 00:00:00" }), VERIFIED);
    expect(parsed).toEqual({ kind: "invalid", issues: ["data.attributes.customer_id", "data.attributes.renews_at"] });
    expect(JSON.stringify(parsed)).not.toContain("ada@example.com");
  });

  it("reports a body that is not a Lemon Squeezy webhook", () => {
    expect(lemonsqueezySource.parse({ data: {} }, VERIFIED)).toEqual({ kind: "invalid", issues: ["meta", "data.type", "data.id", "data.attributes"] });
  });
});

describe("Lemon Squeezy subscriptions", () => {
  it("turns subscription_created into the vocabulary's subscription properties, with the customer's email and name, and no MRR", () => {
    expect(mappedOf(subscriptionEvent("subscription_created"))).toEqual({
      uid: "user_ada",
      subject: CUSTOMER,
      order: { key: `subscription:${CUSTOMER}`, at: Date.parse("2025-02-01T00:00:00Z") },
      patch: {
        email: "ada@example.com",
        display_name: "Ada Lovelace",
        properties: {
          billing_provider: "lemonsqueezy",
          lemonsqueezy_customer_id: CUSTOMER,
          subscription_id: SUBSCRIPTION_ID,
          plan: "Pro",
          subscription_status: "active",
          seats: 3,
          current_period_end: "2025-02-15T00:00:00.000Z",
          cancel_at_period_end: false,
        },
        schema: {
          properties: {
            billing_provider: "str",
            lemonsqueezy_customer_id: "str",
            subscription_id: "str",
            plan: "str",
            subscription_status: "str",
            seats: "int",
            current_period_end: "date",
            cancel_at_period_end: "bool",
          },
        },
      },
      events: [{ name: "Subscription Started", properties: { plan: ["str", "Pro"], seats: ["int", 3] } }],
    });
  });

  it.each([
    ["subscription_created", "on_trial", "trialing", 0],
    ["subscription_updated", "active", "active", undefined],
    ["subscription_updated", "past_due", "past_due", undefined],
    ["subscription_updated", "unpaid", "unpaid", 0],
    ["subscription_paused", "paused", "paused", 0],
    ["subscription_unpaused", "active", "active", undefined],
    ["subscription_resumed", "active", "active", undefined],
    ["subscription_expired", "expired", "canceled", 0],
  ])("maps %s with status %s to subscription_status %s, writing MRR only as a known 0 (%s)", (name, status, expected, mrr) => {
    const { properties } = mappedOf(subscriptionEvent(name, { status })).patch ?? { properties: {} };
    expect(properties.subscription_status).toBe(expected);
    expect(properties.mrr).toBe(mrr);
  });

  it("maps a cancelled subscription, which runs until ends_at, to active with cancel_at_period_end and the end as current_period_end", () => {
    const patch = mappedOf(subscriptionEvent("subscription_cancelled", { status: "cancelled", cancelled: true, ends_at: "2025-02-15T00:00:00.000000Z" })).patch;
    expect(patch?.properties).toMatchObject({ subscription_status: "active", cancel_at_period_end: true, current_period_end: "2025-02-15T00:00:00.000Z" });
    expect(patch?.properties).not.toHaveProperty("mrr");
  });

  it("writes the trial's end, and no seats while the trial has no subscription item", () => {
    const patch = mappedOf(subscriptionEvent("subscription_created", { status: "on_trial", trial_ends_at: "2025-01-15T12:43:48.000000Z", first_subscription_item: null })).patch;
    expect(patch?.properties).toMatchObject({ subscription_status: "trialing", trial_ends_at: "2025-01-15T12:43:48.000Z", mrr: 0 });
    expect(patch?.properties).not.toHaveProperty("seats");
  });

  it("names the plan by product, with the variant when it is not the product's only (Default) one", () => {
    expect(mappedOf(subscriptionEvent("subscription_updated", { variant_name: "Yearly" })).patch?.properties.plan).toBe("Pro (Yearly)");
    expect(mappedOf(subscriptionEvent("subscription_updated", { product_name: null, variant_name: "Yearly" })).patch?.properties.plan).toBe("Yearly");
  });

  it("passes a status it does not know through as Lemon Squeezy wrote it", () => {
    expect(mappedOf(subscriptionEvent("subscription_updated", { status: "on_hold" })).patch?.properties).toMatchObject({ subscription_status: "on_hold", mrr: 0 });
  });
});

describe("Lemon Squeezy payments and orders", () => {
  it("turns subscription_payment_success into last_payment_* in major units and lower-case currency", () => {
    expect(mappedOf(invoiceEvent("subscription_payment_success"))).toEqual({
      uid: "user_ada",
      subject: CUSTOMER,
      order: { key: `payment:${CUSTOMER}`, at: Date.parse("2025-02-01T00:00:00Z") },
      patch: {
        email: "ada@example.com",
        display_name: "Ada Lovelace",
        properties: {
          billing_provider: "lemonsqueezy",
          lemonsqueezy_customer_id: CUSTOMER,
          last_payment_at: "2025-02-01T00:00:00.000Z",
          last_payment_amount: 147,
          currency: "usd",
        },
        schema: { properties: { billing_provider: "str", lemonsqueezy_customer_id: "str", last_payment_at: "date", last_payment_amount: "real", currency: "str" } },
      },
      events: [{ name: "Payment Succeeded", properties: { amount: ["real", 147], currency: ["str", "usd"] } }],
    });
  });

  it("writes no last_payment_* for a payment of 0, and does not order it against real payments", () => {
    const mapped = mappedOf(invoiceEvent("subscription_payment_success", { total: 0 }));
    expect(mapped.patch?.properties).toEqual({ billing_provider: "lemonsqueezy", lemonsqueezy_customer_id: CUSTOMER });
    expect(mapped.order).toBeUndefined();
  });

  it("follows the currency's minor unit: yen are not divided, dinars are thousandths", () => {
    expect(mappedOf(invoiceEvent("subscription_payment_success", { currency: "JPY", total: 4_900 })).patch?.properties.last_payment_amount).toBe(4_900);
    expect(mappedOf(invoiceEvent("subscription_payment_success", { currency: "KWD", total: 12_345 })).patch?.properties.last_payment_amount).toBe(12.345);
  });

  it("turns subscription_payment_failed into payment_failed_at, without an attempt count Lemon Squeezy does not send", () => {
    const mapped = mappedOf(invoiceEvent("subscription_payment_failed", { status: "pending", updated_at: "2025-02-02T10:00:00.000000Z" }));
    expect(mapped.patch?.properties).toEqual({ billing_provider: "lemonsqueezy", lemonsqueezy_customer_id: CUSTOMER, payment_failed_at: "2025-02-02T10:00:00.000Z" });
    expect(mapped.order).toEqual({ key: `payment_failed:${CUSTOMER}`, at: Date.parse("2025-02-02T10:00:00Z") });
  });

  it("turns subscription_payment_refunded into last_refund_* from refunded_at and the refunded amount", () => {
    const mapped = mappedOf(invoiceEvent("subscription_payment_refunded", { status: "refunded", refunded: true, refunded_at: "2025-02-03T08:00:00.000000Z", refunded_amount: 4_900 }));
    expect(mapped.patch?.properties).toEqual({
      billing_provider: "lemonsqueezy",
      lemonsqueezy_customer_id: CUSTOMER,
      last_refund_at: "2025-02-03T08:00:00.000Z",
      last_refund_amount: 49,
    });
    expect(mapped.order?.key).toBe(`refund:${CUSTOMER}`);
  });

  it("turns a paid order_created into last_payment_* of the order's total, tax included", () => {
    const mapped = mappedOf(lemonSqueezyEvent("order_created", "order", lsOrder()));
    expect(mapped.patch?.properties).toEqual({
      billing_provider: "lemonsqueezy",
      lemonsqueezy_customer_id: CUSTOMER,
      last_payment_at: "2025-02-01T00:00:00.000Z",
      last_payment_amount: 11.99,
      currency: "usd",
    });
    expect(mapped.order?.key).toBe(`payment:${CUSTOMER}`);
  });

  it("writes no payment for an order that is not paid", () => {
    for (const status of ["pending", "failed", "fraudulent"]) {
      const mapped = mappedOf(lemonSqueezyEvent("order_created", "order", lsOrder({ status })));
      expect(mapped.patch?.properties).toEqual({ billing_provider: "lemonsqueezy", lemonsqueezy_customer_id: CUSTOMER });
      expect(mapped.order).toBeUndefined();
    }
  });
});

describe("Lemon Squeezy uid", () => {
  it("takes the first of custom_data's configured keys, in the configured order", () => {
    const body = lemonSqueezyEvent("subscription_updated", "subscription", lsSubscription(), { custom_data: { user_id: "u-2", account: "acct-1" } });
    expect(mappedOf(body).uid).toBe("u-2");
    expect(mappedOf(body, loadConfig({ LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS: "account,user_id" })).uid).toBe("acct-1");
  });

  it("takes a whole number in custom_data, as a checkout made through the API may carry, as its decimal text", () => {
    const body = lemonSqueezyEvent("order_created", "order", lsOrder(), { custom_data: { user_id: 123 } });
    expect(mappedOf(body).uid).toBe("123");
  });

  it("leaves the uid to the identity directory, by customer id, when the checkout carried none", () => {
    for (const meta of [{ custom_data: undefined }, { custom_data: null }, { custom_data: { fullstory_uid: "" } }, { custom_data: { fullstory_uid: 4.2, user_id: true } }]) {
      const mapped = mappedOf(lemonSqueezyEvent("subscription_payment_success", "invoice", lsSubscriptionInvoice(), meta));
      expect(mapped.uid).toBeUndefined();
      expect(mapped.subject).toBe(CUSTOMER);
    }
  });
});
