import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { buildMessage } from "../../functions/message-build";
import { chargebeeSource } from "../../functions/sources/chargebee";
import {
  OCCURRED_AT,
  chargebeeCustomer,
  chargebeeEvent,
  chargebeeInvoice,
  chargebeeItem,
  chargebeeSubscription,
  chargebeeTransaction,
} from "../support/chargebee-events";

const ON = loadConfig({ FULLSTORY_EVENTS: "true" });
const AT = new Date(OCCURRED_AT * 1000).toISOString();

/** The lifecycle events ingest would queue for a Chargebee body. */
function eventsOf(body: Record<string, unknown>) {
  const parsed = chargebeeSource.parse(body, { timestamp: OCCURRED_AT });
  if (parsed.kind !== "event") throw new Error(`not an event: ${JSON.stringify(parsed)}`);
  const built = buildMessage(chargebeeSource, parsed.event, ON, JSON.stringify(body), AT);
  if (built.kind !== "message") throw new Error(`not a message: ${JSON.stringify(built)}`);
  return built.message.events ?? [];
}
const subscriptionEvent = (type: string, overrides: Record<string, unknown> = {}) =>
  chargebeeEvent(type, { subscription: chargebeeSubscription(overrides), customer: chargebeeCustomer() });
const paymentEvent = (type: string, transaction: Record<string, unknown> = {}, invoice: Record<string, unknown> = {}) =>
  chargebeeEvent(type, { transaction: chargebeeTransaction(transaction), customer: chargebeeCustomer(), invoice: chargebeeInvoice(invoice) });

/** 2024-02-15T00:00:00Z. */
const TRIAL_END = 1_707_955_200;
const inTrial = { status: "in_trial", trial_start: 1_706_745_600, trial_end: TRIAL_END, mrr: 0 };

describe("Chargebee lifecycle events", () => {
  it("Trial Started: subscription_created in_trial, with the plan and the trial's end", () => {
    expect(eventsOf(subscriptionEvent("subscription_created", inTrial))).toEqual([
      {
        name: "Trial Started",
        timestamp: AT,
        properties: { plan: "pro-USD-monthly", trial_ends_at: "2024-02-15T00:00:00.000Z" },
        schema: { properties: { plan: "str", trial_ends_at: "date" } },
      },
    ]);
  });

  it("Subscription Started: subscription_created active, with plan, MRR, currency, interval and seats", () => {
    const events = eventsOf(subscriptionEvent("subscription_created", { mrr: 6000, items: [chargebeeItem({ quantity: 3, amount: 6000 })] }));
    expect(events).toEqual([
      {
        name: "Subscription Started",
        timestamp: AT,
        properties: { plan: "pro-USD-monthly", mrr: 60, currency: "usd", plan_interval: "month", seats: 3 },
        schema: { properties: { plan: "str", mrr: "real", currency: "str", plan_interval: "str", seats: "int" } },
      },
    ]);
  });

  it("Subscription Started: subscription_activated, the trial (or future subscription) now active", () => {
    const activated = eventsOf(subscriptionEvent("subscription_activated", { trial_end: TRIAL_END, activated_at: TRIAL_END }));
    expect(activated).toEqual([expect.objectContaining({ name: "Subscription Started", properties: expect.objectContaining({ mrr: 20 }) })]);
  });

  it("none for a subscription created to start in the future", () => {
    expect(eventsOf(subscriptionEvent("subscription_created", { status: "future", mrr: 0 }))).toEqual([]);
  });

  it("Subscription Cancellation Scheduled: subscription_cancellation_scheduled, with when it cancels", () => {
    const scheduled = subscriptionEvent("subscription_cancellation_scheduled", { status: "non_renewing", cancelled_at: 1_709_251_200, cancel_schedule_created_at: 1_706_745_500 });
    expect(eventsOf(scheduled)).toEqual([
      {
        name: "Subscription Cancellation Scheduled",
        timestamp: AT,
        properties: { plan: "pro-USD-monthly", cancels_at: "2024-03-01T00:00:00.000Z" },
        schema: { properties: { plan: "str", cancels_at: "date" } },
      },
    ]);
  });

  it("no Plan Changed from subscription_changed, whose content has no previous values; nothing from renewals, reactivations, pauses or resumes", () => {
    const team = { items: [chargebeeItem({ item_price_id: "team-USD-monthly", amount: 5000, unit_price: 5000 })], mrr: 5000 };
    expect(eventsOf(subscriptionEvent("subscription_changed", team))).toEqual([]);
    for (const type of ["subscription_renewed", "subscription_reactivated", "subscription_resumed"]) expect(eventsOf(subscriptionEvent(type))).toEqual([]);
    expect(eventsOf(subscriptionEvent("subscription_paused", { status: "paused" }))).toEqual([]);
  });

  it("Subscription Canceled: subscription_cancelled, with what its items brought in per month (0 when cancelled in trial)", () => {
    const cancelled = { status: "cancelled", cancelled_at: 1_709_251_200, mrr: 0 };
    expect(eventsOf(subscriptionEvent("subscription_cancelled", cancelled))).toEqual([
      {
        name: "Subscription Canceled",
        timestamp: AT,
        properties: { plan: "pro-USD-monthly", previous_mrr: 20 },
        schema: { properties: { plan: "str", previous_mrr: "real" } },
      },
    ]);
    const trialCancelled = { ...inTrial, status: "cancelled", cancelled_at: TRIAL_END };
    expect(eventsOf(subscriptionEvent("subscription_cancelled", trialCancelled))[0]?.properties).toEqual({ plan: "pro-USD-monthly", previous_mrr: 0 });
  });

  it("Subscription Canceled without previous_mrr when nothing says it (a Product Catalog 1.0 subscription whose mrr is 0)", () => {
    const legacy = { status: "cancelled", cancelled_at: 1_709_251_200, mrr: 0, subscription_items: undefined, plan_id: "pro-monthly", plan_quantity: 1 };
    expect(eventsOf(subscriptionEvent("subscription_cancelled", legacy))[0]?.properties).toEqual({ plan: "pro-monthly" });
  });

  it("Payment Succeeded: payment_succeeded above 0, with the transaction's amount; none for a $0 payment", () => {
    expect(eventsOf(paymentEvent("payment_succeeded"))).toEqual([
      expect.objectContaining({ name: "Payment Succeeded", properties: { amount: 20, currency: "usd" } }),
    ]);
    expect(eventsOf(paymentEvent("payment_succeeded", { amount: 0 }))).toEqual([]);
  });

  it("Payment Failed: payment_failed, with the amount, currency and the invoice's dunning attempts", () => {
    const failed = paymentEvent("payment_failed", { status: "failure", amount: 4900, currency_code: "EUR" }, { status: "payment_due", amount_due: 4900, dunning_attempts: [{ attempt: 0 }, { attempt: 1 }] });
    expect(eventsOf(failed)).toEqual([
      {
        name: "Payment Failed",
        timestamp: AT,
        properties: { amount_due: 49, currency: "eur", attempt_count: 2 },
        schema: { properties: { amount_due: "real", currency: "str", attempt_count: "int" } },
      },
    ]);
  });

  it("Refund Issued: payment_refunded, with the refund transaction's own amount", () => {
    const refund = paymentEvent("payment_refunded", { id: "txn_refund_1", type: "refund", amount: 500 });
    expect(eventsOf(refund)).toEqual([expect.objectContaining({ name: "Refund Issued", properties: { amount: 5, currency: "usd" } })]);
  });
});
