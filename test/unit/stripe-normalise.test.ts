import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import { stripeSource } from "../../functions/sources/stripe";
import type { Mapped, Normalised } from "../../functions/sources/types";
import { UpsertSchema, type Upsert } from "../../functions/upsert";
import {
  chargeObject,
  checkoutSessionObject,
  customerObject,
  invoiceObject,
  legacyInvoiceObject,
  priceObject,
  stripeEvent,
  subscriptionItem,
  subscriptionObject,
} from "../support/stripe-events";

const defaults = loadConfig({});

function normalise(body: unknown, config: Config = defaults): Normalised {
  const parsed = stripeSource.parse(body, { timestamp: 0 });
  if (parsed.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return stripeSource.normalise(parsed.event, config);
}

/** What an event maps to (it must map). */
function mapped(type: string, object: Record<string, unknown>, config?: Config): Mapped {
  const result = normalise(stripeEvent(type, object), config);
  if (result.kind !== "mapped") throw new Error(`expected a mapping, got ${JSON.stringify(result)}`);
  return result.mapped;
}

/** The upsert an event maps to (uid and patch), checked against Fullstory's limits (UpsertSchema). */
function upsert(type: string, object: Record<string, unknown>, config?: Config): Upsert {
  const { uid, patch } = mapped(type, object, config);
  if (uid === undefined || patch === null) throw new Error("expected a uid and a patch");
  const result = { uid, ...patch };
  expect(UpsertSchema.parse(result)).toEqual(result);
  return result;
}

const uid = (type: string, object: Record<string, unknown>, config?: Config): string | null => mapped(type, object, config).uid ?? null;

const EVENT_AT = "2024-02-01T00:00:00.000Z";

describe("Stripe customer events", () => {
  it.each(["customer.created", "customer.updated"])("maps %s to email, name, id, customer_since and delinquent", (type) => {
    expect(upsert(type, customerObject())).toEqual({
      uid: "user_ada",
      email: "ada@example.com",
      display_name: "Ada Lovelace",
      properties: { billing_provider: "stripe", stripe_customer_id: "cus_Test123", customer_since: "2024-01-01T00:00:00.000Z", delinquent: false },
      schema: { properties: { billing_provider: "str", stripe_customer_id: "str", customer_since: "date", delinquent: "bool" } },
    });
  });

  it("omits email and display_name when Stripe sends null", () => {
    expect(upsert("customer.updated", customerObject({ email: null, name: null, delinquent: true }))).toEqual({
      uid: "user_ada",
      properties: { billing_provider: "stripe", stripe_customer_id: "cus_Test123", customer_since: "2024-01-01T00:00:00.000Z", delinquent: true },
      schema: { properties: { billing_provider: "str", stripe_customer_id: "str", customer_since: "date", delinquent: "bool" } },
    });
  });

  it("omits an email longer than Fullstory accepts, keeping the rest", () => {
    const long = `${"a".repeat(130)}@example.com`;
    const result = upsert("customer.updated", customerObject({ email: long }));
    expect(result.email).toBeUndefined();
    expect(result.display_name).toBe("Ada Lovelace");
  });

  it("maps customer.deleted to billing_status deleted", () => {
    expect(upsert("customer.deleted", customerObject())).toEqual({
      uid: "user_ada",
      properties: { billing_provider: "stripe", stripe_customer_id: "cus_Test123", billing_status: "deleted" },
      schema: { properties: { billing_provider: "str", stripe_customer_id: "str", billing_status: "str" } },
    });
  });

  it("leaves a bare deleted customer (no metadata) to the identity directory, by its customer id", () => {
    const m = mapped("customer.deleted", { id: "cus_Test123", object: "customer", deleted: true });
    expect(m.uid).toBeUndefined();
    expect(m.subject).toBe("cus_Test123");
    expect(m.patch?.properties).toEqual({ billing_provider: "stripe", stripe_customer_id: "cus_Test123", billing_status: "deleted" });
  });
});

const SUBSCRIPTION_TYPES = {
  properties: {
    billing_provider: "str",
    stripe_customer_id: "str",
    subscription_id: "str",
    plan: "str",
    plan_interval: "str",
    plan_interval_count: "int",
    subscription_status: "str",
    seats: "int",
    mrr: "real",
    currency: "str",
    current_period_end: "date",
    cancel_at_period_end: "bool",
  },
} as const;

/** The properties of the default subscription: active, one seat of $20 a month. */
const ACTIVE_MONTHLY = {
  billing_provider: "stripe",
  stripe_customer_id: "cus_Test123",
  subscription_id: "sub_Test123",
  plan: "pro_monthly",
  plan_interval: "month",
  plan_interval_count: 1,
  subscription_status: "active",
  seats: 1,
  mrr: 20,
  currency: "usd",
  current_period_end: "2024-03-01T00:00:00.000Z",
  cancel_at_period_end: false,
};

describe("Stripe subscription events", () => {
  it.each(["customer.subscription.created", "customer.subscription.updated", "customer.subscription.trial_will_end"])(
    "maps %s to plan, interval, status, seats, MRR and period end",
    (type) => {
      expect(upsert(type, subscriptionObject())).toEqual({ uid: "user_ada", properties: ACTIVE_MONTHLY, schema: SUBSCRIPTION_TYPES });
    },
  );

  it("maps a trialing subscription with MRR 0 and its trial end", () => {
    const sub = subscriptionObject({ status: "trialing", trial_end: 1_707_955_200 });
    expect(upsert("customer.subscription.trial_will_end", sub)).toEqual({
      uid: "user_ada",
      properties: { ...ACTIVE_MONTHLY, subscription_status: "trialing", mrr: 0, trial_ends_at: "2024-02-15T00:00:00.000Z" },
      schema: { properties: { ...SUBSCRIPTION_TYPES.properties, trial_ends_at: "date" } },
    });
  });

  it("maps customer.subscription.deleted to status canceled, MRR 0 and canceled_at", () => {
    // Stripe sends the subscription as it was when deleted; the event itself means it is over.
    const sub = subscriptionObject({ status: "active", canceled_at: 1_707_350_400, cancel_at_period_end: true });
    expect(upsert("customer.subscription.deleted", sub)).toEqual({
      uid: "user_ada",
      properties: {
        ...ACTIVE_MONTHLY,
        subscription_status: "canceled",
        mrr: 0,
        cancel_at_period_end: true,
        canceled_at: "2024-02-08T00:00:00.000Z",
      },
      schema: { properties: { ...SUBSCRIPTION_TYPES.properties, canceled_at: "date" } },
    });
  });

  it("takes current_period_end from the subscription in API versions before 2025-03-31", () => {
    const { current_period_end: _onItem, ...item } = subscriptionItem();
    const sub = subscriptionObject({ items: [item], current_period_end: 1_709_251_200 - 86_400 });
    expect(upsert("customer.subscription.updated", sub).properties.current_period_end).toBe("2024-02-29T00:00:00.000Z");
  });

  it("prefers the item's current_period_end when the subscription also has one", () => {
    const sub = subscriptionObject({ current_period_end: 1_709_251_200 - 86_400 });
    expect(upsert("customer.subscription.updated", sub).properties.current_period_end).toBe("2024-03-01T00:00:00.000Z");
  });

  it("reads the customer id from an expanded customer", () => {
    const sub = subscriptionObject({ customer: { id: "cus_Expanded", object: "customer", email: "x@example.com" } });
    expect(upsert("customer.subscription.updated", sub).properties.stripe_customer_id).toBe("cus_Expanded");
  });

  it.each([
    ["the lookup_key", {}, "pro_monthly"],
    ["the nickname without a lookup_key", { lookup_key: null }, "Pro"],
    ["the product id without a nickname", { lookup_key: null, nickname: null }, "prod_Pro"],
    ["an expanded product's id", { lookup_key: null, nickname: null, product: { id: "prod_X", object: "product" } }, "prod_X"],
    ["the price id without a product", { lookup_key: null, nickname: null, product: null }, "price_Monthly"],
  ])("names the plan after %s", (_name, price, plan) => {
    const sub = subscriptionObject({ items: [subscriptionItem({ price: priceObject(price) })] });
    expect(upsert("customer.subscription.updated", sub).properties.plan).toBe(plan);
  });

  const itemOf = (unitAmount: number | null, interval: string, count: number, quantity?: number) =>
    subscriptionItem({
      price: priceObject({ unit_amount: unitAmount, recurring: { interval, interval_count: count } }),
      ...(quantity === undefined ? {} : { quantity }),
    });
  const mrrOf = (items: Record<string, unknown>[], overrides: Record<string, unknown> = {}) =>
    upsert("customer.subscription.updated", subscriptionObject({ items, ...overrides })).properties.mrr;

  it("divides a yearly price by 12", () => {
    expect(mrrOf([itemOf(120_000, "year", 1, 2)])).toBe(200);
  });

  it("divides a 3-monthly price by 3", () => {
    expect(mrrOf([itemOf(3_000, "month", 3)])).toBe(10);
  });

  it("brings weekly and daily prices to a month (× 52/12, × 365/12)", () => {
    expect(mrrOf([itemOf(1_200, "week", 1)])).toBe(52);
    expect(mrrOf([itemOf(100, "day", 1)])).toBe(30.42);
  });

  it("sums every item, and seats are the sum of quantities", () => {
    const sub = subscriptionObject({ items: [itemOf(2_000, "month", 1, 3), itemOf(120_000, "year", 1, 1)] });
    const props = upsert("customer.subscription.updated", sub).properties;
    expect(props.mrr).toBe(160);
    expect(props.seats).toBe(4);
    expect(props.plan_interval).toBe("month");
  });

  it("counts tiered (no unit_amount) and metered (no quantity) items as 0", () => {
    const metered = subscriptionItem({ price: priceObject({ unit_amount: 50 }) });
    delete metered.quantity;
    expect(mrrOf([itemOf(null, "month", 1, 5), metered, itemOf(1_000, "month", 1, 1)])).toBe(10);
  });

  it("does not divide zero-decimal currencies by 100", () => {
    expect(mrrOf([itemOf(1_200, "month", 1)], { currency: "jpy" })).toBe(1_200);
    expect(mrrOf([itemOf(12_000, "year", 1)], { currency: "krw" })).toBe(1_000);
  });

  it("counts MRR for past_due but not for other unpaid statuses", () => {
    expect(mrrOf([itemOf(2_000, "month", 1)], { status: "past_due" })).toBe(20);
    for (const status of ["trialing", "incomplete", "incomplete_expired", "unpaid", "canceled", "paused"]) {
      expect({ status, mrr: mrrOf([itemOf(2_000, "month", 1)], { status }) }).toEqual({ status, mrr: 0 });
    }
  });
});

/** The exact upsert of the default paid invoice (paid 2024-01-31T23:55Z, in usd), for an amount. */
const paidInvoiceUpsert = (amount: number): Upsert => ({
  uid: "user_ada",
  email: "ada@example.com",
  display_name: "Ada Lovelace",
  properties: {
    billing_provider: "stripe",
    stripe_customer_id: "cus_Test123",
    last_payment_at: "2024-01-31T23:55:00.000Z",
    last_payment_amount: amount,
    currency: "usd",
  },
  schema: { properties: { billing_provider: "str", stripe_customer_id: "str", last_payment_at: "date", last_payment_amount: "real", currency: "str" } },
});

describe("Stripe invoice events", () => {
  it.each(["invoice.paid", "invoice.payment_succeeded"])("maps %s to the payment time, amount and currency", (type) => {
    expect(upsert(type, invoiceObject())).toEqual(paidInvoiceUpsert(20));
  });

  it("maps the invoice shape of API versions before 2025-03-31 (top-level subscription_details)", () => {
    expect(upsert("invoice.paid", legacyInvoiceObject({ amount_paid: 1_999 }))).toEqual(paidInvoiceUpsert(19.99));
  });

  it("uses the event's created time when the invoice has no paid_at", () => {
    const invoice = invoiceObject({ status_transitions: { paid_at: null } });
    expect(upsert("invoice.paid", invoice).properties.last_payment_at).toBe(EVENT_AT);
  });

  it("keeps a zero-decimal invoice amount whole", () => {
    expect(upsert("invoice.paid", invoiceObject({ currency: "jpy", amount_paid: 5_000 })).properties.last_payment_amount).toBe(5_000);
  });

  it("maps invoice.payment_failed to the failure time and attempt count", () => {
    expect(upsert("invoice.payment_failed", invoiceObject({ attempt_count: 3, amount_paid: 0 }))).toEqual({
      uid: "user_ada",
      email: "ada@example.com",
      display_name: "Ada Lovelace",
      properties: { billing_provider: "stripe", stripe_customer_id: "cus_Test123", payment_failed_at: EVENT_AT, payment_attempt_count: 3 },
      schema: { properties: { billing_provider: "str", stripe_customer_id: "str", payment_failed_at: "date", payment_attempt_count: "int" } },
    });
  });
});

describe("Stripe checkout and charge events", () => {
  it("maps checkout.session.completed to the customer details and completion time", () => {
    expect(upsert("checkout.session.completed", checkoutSessionObject())).toEqual({
      uid: "user_ada",
      email: "ada@example.com",
      display_name: "Ada Lovelace",
      properties: { billing_provider: "stripe", stripe_customer_id: "cus_Test123", checkout_completed_at: EVENT_AT },
      schema: { properties: { billing_provider: "str", stripe_customer_id: "str", checkout_completed_at: "date" } },
    });
  });

  it("falls back to customer_email, and leaves out a missing customer", () => {
    const session = checkoutSessionObject({
      customer: null,
      customer_details: { email: null, name: null },
      customer_email: "guest@example.com",
    });
    expect(upsert("checkout.session.completed", session)).toEqual({
      uid: "user_ada",
      email: "guest@example.com",
      properties: { billing_provider: "stripe", checkout_completed_at: EVENT_AT },
      schema: { properties: { billing_provider: "str", checkout_completed_at: "date" } },
    });
  });

  it("maps charge.refunded to the refund time and refunded amount", () => {
    expect(upsert("charge.refunded", chargeObject())).toEqual({
      uid: "user_ada",
      properties: { billing_provider: "stripe", stripe_customer_id: "cus_Test123", last_refund_at: EVENT_AT, last_refund_amount: 5 },
      schema: { properties: { billing_provider: "str", stripe_customer_id: "str", last_refund_at: "date", last_refund_amount: "real" } },
    });
  });
});

describe("Stripe uid resolution", () => {
  it("tries the configured metadata keys in order", () => {
    const both = customerObject({ metadata: { user_id: "second", fullstory_uid: "first" } });
    expect(uid("customer.updated", both)).toBe("first");
    expect(uid("customer.updated", customerObject({ metadata: { user_id: "second" } }))).toBe("second");
    const custom = loadConfig({ STRIPE_UID_METADATA_KEYS: "app_user,fullstory_uid" });
    expect(uid("customer.updated", both, custom)).toBe("first");
    expect(uid("customer.updated", customerObject({ metadata: { app_user: "mine", fullstory_uid: "first" } }), custom)).toBe("mine");
  });

  it("skips empty and over-long metadata values", () => {
    expect(uid("customer.updated", customerObject({ metadata: { fullstory_uid: "", user_id: "second" } }))).toBe("second");
    expect(uid("customer.updated", customerObject({ metadata: { fullstory_uid: "u".repeat(257), user_id: "second" } }))).toBe("second");
  });

  it("names no uid when no candidate holds one, leaving the customer for the identity directory", () => {
    expect(mapped("customer.updated", customerObject({ metadata: { other: "x" } }))).toMatchObject({ uid: undefined, subject: "cus_Test123" });
    expect(mapped("charge.refunded", chargeObject({ metadata: {} }))).toMatchObject({ uid: undefined, subject: "cus_Test123" });
  });

  it("prefers a checkout session's metadata to its client_reference_id", () => {
    const session = checkoutSessionObject({ client_reference_id: "from_reference" });
    expect(uid("checkout.session.completed", session)).toBe("user_ada");
    expect(uid("checkout.session.completed", { ...session, metadata: {} })).toBe("from_reference");
  });

  it("prefers an invoice's own metadata, then the subscription's in the new shape, then the old shape", () => {
    const own = invoiceObject({ metadata: { user_id: "own" } });
    expect(uid("invoice.paid", own)).toBe("own");
    const both = invoiceObject({ subscription_details: { metadata: { fullstory_uid: "old_shape" } } });
    expect(uid("invoice.paid", both)).toBe("user_ada");
    expect(uid("invoice.paid", legacyInvoiceObject())).toBe("user_ada");
    const noParentMetadata = invoiceObject({
      parent: { type: "subscription_details", subscription_details: { metadata: null, subscription: "sub_1" } },
      subscription_details: { metadata: { user_id: "old_shape" } },
    });
    expect(uid("invoice.paid", noParentMetadata)).toBe("old_shape");
    expect(uid("invoice.paid", invoiceObject({ parent: null }))).toBeNull();
  });

  it("tries every configured key on the object before the subscription's metadata", () => {
    const invoice = invoiceObject({ metadata: { user_id: "own_second_key" } });
    expect(uid("invoice.payment_failed", invoice)).toBe("own_second_key");
  });
});
