import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import { paddleSource, PADDLE_MAPPED_EVENT_TYPES } from "../../functions/sources/paddle";
import type { Mapped, Normalised } from "../../functions/sources/types";
import {
  CUSTOMER_ID,
  SUBSCRIPTION_ID,
  paddleAdjustment,
  paddleCustomer,
  paddleEvent,
  paddleItem,
  paddlePrice,
  paddleSubscription,
  paddleTransaction,
} from "../support/paddle-events";

const config: Config = loadConfig({});
const VERIFIED = { timestamp: 1_706_745_600 };
const AT = Date.parse("2024-02-01T00:00:00.123Z");

function normalise(body: Record<string, unknown>, c: Config = config): Normalised {
  const parsed = paddleSource.parse(body, VERIFIED);
  if (parsed.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return paddleSource.normalise(parsed.event, c);
}

function mapped(body: Record<string, unknown>, c: Config = config): Mapped {
  const result = normalise(body, c);
  if (result.kind !== "mapped") throw new Error(`expected a mapping, got ${JSON.stringify(result)}`);
  return result.mapped;
}

const ACTIVE_PROPERTIES = {
  billing_provider: "paddle",
  paddle_customer_id: CUSTOMER_ID,
  subscription_id: SUBSCRIPTION_ID,
  plan: "Pro",
  plan_interval: "month",
  plan_interval_count: 1,
  subscription_status: "active",
  seats: 1,
  mrr: 20,
  currency: "usd",
  current_period_end: "2024-03-01T00:00:00.000Z",
  cancel_at_period_end: false,
};

describe("paddle parse", () => {
  it("takes Paddle's event_id and occurred_at (microseconds cut to milliseconds), and leaves livemode unknown", () => {
    const parsed = paddleSource.parse(paddleEvent("customer.created", paddleCustomer()), VERIFIED);
    expect(parsed).toMatchObject({ kind: "event", event: { id: "evt_01hv8x2acma2gz7he5xkk8pbdv", type: "customer.created", occurredAt: "2024-02-01T00:00:00.123Z" } });
    expect(parsed.kind === "event" && "livemode" in parsed.event).toBe(false);
  });

  it("marks a webhook simulator event (event_id ntfsimevt_…) as not live", () => {
    const parsed = paddleSource.parse(paddleEvent("customer.created", paddleCustomer(), { event_id: "ntfsimevt_01hvg8ykjrcdr4jvv9rqcbkhfa" }), VERIFIED);
    expect(parsed).toMatchObject({ kind: "event", event: { livemode: false } });
  });

  it("ignores a structurally valid event of an unmapped type", () => {
    expect(paddleSource.parse(paddleEvent("transaction.billed", paddleTransaction()), VERIFIED)).toEqual({ kind: "ignored", reason: "unmapped_event_type" });
  });

  it("answers a schema mismatch with the paths in the body, never the values", () => {
    const body = paddleEvent("subscription.updated", paddleSubscription({ items: [paddleItem({ price: paddlePrice({ unit_price: { amount: "12.50", currency_code: "USD" } }) })] }));
    expect(paddleSource.parse(body, VERIFIED)).toEqual({ kind: "invalid", issues: ["data.items.0.price.unit_price.amount"] });
    expect(paddleSource.parse({ ...paddleEvent("customer.updated", paddleCustomer()), occurred_at: "yesterday" }, VERIFIED)).toEqual({ kind: "invalid", issues: ["occurred_at"] });
  });

  it("maps every event type the issue lists", () => {
    expect([...PADDLE_MAPPED_EVENT_TYPES].sort()).toEqual(
      [
        "subscription.created", "subscription.updated", "subscription.activated", "subscription.trialing", "subscription.past_due",
        "subscription.paused", "subscription.resumed", "subscription.canceled", "transaction.completed", "transaction.payment_failed",
        "customer.created", "customer.updated", "adjustment.created", "adjustment.updated",
      ].sort(),
    );
  });
});

describe("paddle subscriptions", () => {
  it.each(["subscription.created", "subscription.updated", "subscription.activated", "subscription.resumed"])(
    "maps %s to the vocabulary's subscription properties, by custom_data.fullstory_uid, ordered per customer by occurred_at",
    (type) => {
      expect(mapped(paddleEvent(type, paddleSubscription()))).toEqual({
        uid: "user_ada",
        subject: CUSTOMER_ID,
        order: { key: `subscription:${CUSTOMER_ID}`, at: AT },
        patch: {
          properties: ACTIVE_PROPERTIES,
          schema: {
            properties: {
              billing_provider: "str", paddle_customer_id: "str", subscription_id: "str", plan: "str", plan_interval: "str", plan_interval_count: "int",
              subscription_status: "str", seats: "int", mrr: "real", currency: "str", current_period_end: "date", cancel_at_period_end: "bool",
            },
          },
        },
      });
    },
  );

  it("maps subscription.trialing with the latest trial end of the items and MRR 0", () => {
    const items = [
      paddleItem({ status: "trialing", trial_dates: { starts_at: "2024-01-25T00:00:00Z", ends_at: "2024-02-08T00:00:00.000000Z" } }),
      paddleItem({ status: "trialing", trial_dates: { starts_at: "2024-01-25T00:00:00Z", ends_at: "2024-02-10T12:00:00.000000Z" } }),
    ];
    const props = mapped(paddleEvent("subscription.trialing", paddleSubscription({ status: "trialing", items }))).patch?.properties;
    expect(props).toMatchObject({ subscription_status: "trialing", trial_ends_at: "2024-02-10T12:00:00.000Z", mrr: 0, seats: 2 });
  });

  it("maps subscription.past_due with its MRR still counted, as Stripe counts past_due", () => {
    expect(mapped(paddleEvent("subscription.past_due", paddleSubscription({ status: "past_due" }))).patch?.properties).toMatchObject({ subscription_status: "past_due", mrr: 20 });
  });

  it("maps subscription.paused with MRR 0 and no period end (Paddle clears it)", () => {
    const props = mapped(paddleEvent("subscription.paused", paddleSubscription({ status: "paused", current_billing_period: null, paused_at: "2024-02-01T00:00:00Z" }))).patch?.properties;
    expect(props).toMatchObject({ subscription_status: "paused", mrr: 0 });
    expect(props).not.toHaveProperty("current_period_end");
  });

  it("maps subscription.canceled with canceled_at and MRR 0", () => {
    const props = mapped(paddleEvent("subscription.canceled", paddleSubscription({ status: "canceled", canceled_at: "2024-02-01T00:00:00.000000Z", current_billing_period: null }))).patch?.properties;
    expect(props).toMatchObject({ subscription_status: "canceled", mrr: 0, canceled_at: "2024-02-01T00:00:00.000Z", cancel_at_period_end: false });
  });

  it("reads a scheduled cancellation as cancel_at_period_end, the subscription still active and paying", () => {
    const sub = paddleSubscription({ scheduled_change: { action: "cancel", effective_at: "2024-03-01T00:00:00.000000Z", resume_at: null } });
    expect(mapped(paddleEvent("subscription.updated", sub)).patch?.properties).toMatchObject({ cancel_at_period_end: true, mrr: 20, subscription_status: "active" });
    const pause = paddleSubscription({ scheduled_change: { action: "pause", effective_at: "2024-03-01T00:00:00.000000Z", resume_at: null } });
    expect(mapped(paddleEvent("subscription.updated", pause)).patch?.properties).toMatchObject({ cancel_at_period_end: false });
  });

  it("brings every recurring item to one month: amount strings × quantity over each price's billing cycle, one-time items left out", () => {
    const items = [
      paddleItem({ quantity: 3, price: paddlePrice({ unit_price: { amount: "1000", currency_code: "USD" } }) }),
      paddleItem({ quantity: 1, price: paddlePrice({ id: "pri_yearly", unit_price: { amount: "12000", currency_code: "USD" }, billing_cycle: { interval: "year", frequency: 1 } }) }),
      paddleItem({ quantity: 1, price: paddlePrice({ id: "pri_quarter", unit_price: { amount: "3000", currency_code: "USD" }, billing_cycle: { interval: "month", frequency: 3 } }) }),
      paddleItem({ quantity: 2, recurring: false, price: paddlePrice({ id: "pri_setup", unit_price: { amount: "5000", currency_code: "USD" }, billing_cycle: null }) }),
    ];
    expect(mapped(paddleEvent("subscription.updated", paddleSubscription({ items }))).patch?.properties).toMatchObject({ mrr: 30 + 10 + 10, seats: 5 });
  });

  it("writes amounts in the currency's own minor unit: JPY has none, KWD three", () => {
    const jpy = paddleSubscription({ currency_code: "JPY", items: [paddleItem({ price: paddlePrice({ unit_price: { amount: "2000", currency_code: "JPY" } }) })] });
    expect(mapped(paddleEvent("subscription.updated", jpy)).patch?.properties).toMatchObject({ mrr: 2000, currency: "jpy" });
    const kwd = paddleSubscription({ currency_code: "KWD", items: [paddleItem({ price: paddlePrice({ unit_price: { amount: "12345", currency_code: "KWD" } }) })] });
    expect(mapped(paddleEvent("subscription.updated", kwd)).patch?.properties).toMatchObject({ mrr: 12.345, currency: "kwd" });
  });

  it("leaves MRR out when a price is in another currency than the subscription (a country override the payload does not name)", () => {
    const sub = paddleSubscription({ currency_code: "EUR" });
    const props = mapped(paddleEvent("subscription.updated", sub)).patch?.properties;
    expect(props).not.toHaveProperty("mrr");
    expect(props).toMatchObject({ currency: "eur", plan: "Pro" });
  });

  it("names the plan by product name, else product id, else price id", () => {
    const noName = paddleSubscription({ items: [paddleItem({ product: { id: "pro_01gsz4t5hdjse780zja8vvr7jg", name: " " } })] });
    expect(mapped(paddleEvent("subscription.updated", noName)).patch?.properties.plan).toBe("pro_01gsz4t5hdjse780zja8vvr7jg");
    const bare = paddleSubscription({ items: [paddleItem({ product: null, price: paddlePrice({ product_id: null }) })] });
    expect(mapped(paddleEvent("subscription.updated", bare)).patch?.properties.plan).toBe("pri_01gsz8x8sawmvhz1pv30nge1ke");
  });

  it("finds the uid under the configured custom_data keys, first found wins, and leaves it to the directory otherwise", () => {
    const keyed = loadConfig({ PADDLE_UID_CUSTOM_DATA_KEYS: "app_user,fullstory_uid" });
    const sub = paddleSubscription({ custom_data: { fullstory_uid: "user_ada", app_user: "acct-42" } });
    expect(mapped(paddleEvent("subscription.updated", sub), keyed).uid).toBe("acct-42");
    const none = mapped(paddleEvent("subscription.updated", paddleSubscription({ custom_data: { fullstory_uid: "", user_id: 42 } })));
    expect(none.uid).toBeUndefined();
    expect(none.subject).toBe(CUSTOMER_ID);
  });
});

describe("paddle transactions", () => {
  it("maps transaction.completed to the last payment: grand total and capture time", () => {
    expect(mapped(paddleEvent("transaction.completed", paddleTransaction()))).toEqual({
      uid: "user_ada",
      subject: CUSTOMER_ID,
      order: { key: `payment:${CUSTOMER_ID}`, at: AT },
      patch: {
        properties: { billing_provider: "paddle", paddle_customer_id: CUSTOMER_ID, last_payment_at: "2024-02-01T00:00:03.000Z", last_payment_amount: 20, currency: "usd" },
        schema: { properties: { billing_provider: "str", paddle_customer_id: "str", last_payment_at: "date", last_payment_amount: "real", currency: "str" } },
      },
      events: [{ name: "Payment Succeeded", properties: { amount: ["real", 20], currency: ["str", "usd"] } }],
    });
  });

  it("writes no last payment for a $0 transaction (a trial's start), and does not order it against payments", () => {
    const free = paddleTransaction({ details: { totals: { total: "0", grand_total: "0", currency_code: "USD" } }, payments: [] });
    const m = mapped(paddleEvent("transaction.completed", free));
    expect(m.patch?.properties).toEqual({ billing_provider: "paddle", paddle_customer_id: CUSTOMER_ID });
    expect(m.order).toBeUndefined();
  });

  it("maps transaction.payment_failed to the failure time and the number of attempts Paddle lists", () => {
    const failed = paddleTransaction({
      status: "past_due",
      payments: [
        { amount: "2000", status: "error", captured_at: null, error_code: "declined" },
        { amount: "2000", status: "error", captured_at: null, error_code: "declined" },
      ],
    });
    expect(mapped(paddleEvent("transaction.payment_failed", failed))).toMatchObject({
      uid: "user_ada",
      order: { key: `payment_failed:${CUSTOMER_ID}`, at: AT },
      patch: { properties: { payment_failed_at: "2024-02-01T00:00:00.123Z", payment_attempt_count: 2, paddle_customer_id: CUSTOMER_ID } },
    });
  });
});

describe("paddle customers and refunds", () => {
  it.each(["customer.created", "customer.updated"])("maps %s with email, name and customer_since, and the uid from the customer's custom_data", (type) => {
    expect(mapped(paddleEvent(type, paddleCustomer()))).toEqual({
      uid: "user_ada",
      subject: CUSTOMER_ID,
      order: { key: `customer:${CUSTOMER_ID}`, at: AT },
      patch: {
        email: "ada@example.com",
        display_name: "Ada Lovelace",
        properties: { billing_provider: "paddle", paddle_customer_id: CUSTOMER_ID, customer_since: "2024-01-01T00:00:00.000Z" },
        schema: { properties: { billing_provider: "str", paddle_customer_id: "str", customer_since: "date" } },
      },
    });
  });

  it.each(["adjustment.created", "adjustment.updated"])("maps an approved refund in %s to the last refund, resolved through the customer", (type) => {
    const m = mapped(paddleEvent(type, paddleAdjustment()));
    expect(m).toEqual({
      subject: CUSTOMER_ID,
      order: { key: `refund:${CUSTOMER_ID}`, at: AT },
      patch: {
        properties: { billing_provider: "paddle", paddle_customer_id: CUSTOMER_ID, last_refund_at: "2024-02-01T00:00:00.123Z", last_refund_amount: 5 },
        schema: { properties: { billing_provider: "str", paddle_customer_id: "str", last_refund_at: "date", last_refund_amount: "real" } },
      },
      events: [{ name: "Refund Issued", properties: { amount: ["real", 5], currency: ["str", "usd"] } }],
    });
  });

  it("ignores refunds awaiting approval or rejected, and credits and chargebacks", () => {
    for (const adjustment of [paddleAdjustment({ status: "pending_approval" }), paddleAdjustment({ status: "rejected" }), paddleAdjustment({ action: "credit" }), paddleAdjustment({ action: "chargeback" })]) {
      expect(normalise(paddleEvent("adjustment.created", adjustment))).toEqual({ kind: "ignored", reason: "not_an_approved_refund" });
    }
  });
});
