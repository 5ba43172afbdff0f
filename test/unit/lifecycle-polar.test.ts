import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { buildMessage } from "../../functions/message-build";
import { polarSource } from "../../functions/sources/polar";
import { EVENT_AT, polarEvent, polarOrder, polarProduct, polarSubscription } from "../support/polar-events";

const ON = loadConfig({ FULLSTORY_EVENTS: "true" });

/** The lifecycle events ingest would queue for a Polar body. */
function eventsOf(body: Record<string, unknown>) {
  const parsed = polarSource.parse(body, { id: "msg_1", timestamp: Date.parse(EVENT_AT) / 1000 });
  if (parsed.kind !== "event") throw new Error(`not an event: ${JSON.stringify(parsed)}`);
  const built = buildMessage(polarSource, parsed.event, ON, JSON.stringify(body), EVENT_AT);
  if (built.kind !== "message") throw new Error(`not a message: ${JSON.stringify(built)}`);
  return built.message.events ?? [];
}
const subscriptionEvent = (type: string, overrides: Record<string, unknown> = {}) => polarEvent(type, polarSubscription(overrides));

const trialing = { status: "trialing", trial_start: "2025-02-01T00:00:00Z", trial_end: "2025-02-15T00:00:00Z", current_period_end: "2025-02-15T00:00:00Z" };
/** Canceled by the customer: it runs until the period's end. */
const scheduled = { cancel_at_period_end: true, canceled_at: EVENT_AT, ends_at: "2025-02-15T00:00:00Z" };

describe("Polar lifecycle events", () => {
  it("Trial Started: subscription.created trialing, with the plan and the trial's end", () => {
    expect(eventsOf(subscriptionEvent("subscription.created", trialing))).toEqual([
      {
        name: "Trial Started",
        timestamp: EVENT_AT,
        properties: { plan: "Pro", trial_ends_at: "2025-02-15T00:00:00.000Z" },
        schema: { properties: { plan: "str", trial_ends_at: "date" } },
      },
    ]);
  });

  it("Subscription Started: subscription.created active, with plan, MRR, currency, interval and seats", () => {
    expect(eventsOf(subscriptionEvent("subscription.created"))).toEqual([
      {
        name: "Subscription Started",
        timestamp: EVENT_AT,
        properties: { plan: "Pro", mrr: 147, currency: "usd", plan_interval: "month", seats: 3 },
        schema: { properties: { plan: "str", mrr: "real", currency: "str", plan_interval: "str", seats: "int" } },
      },
    ]);
  });

  it("no second start from the subscription.active Polar sends with subscription.created, nor from one after a recovered payment", () => {
    expect(eventsOf(subscriptionEvent("subscription.active"))).toEqual([]);
    expect(eventsOf(subscriptionEvent("subscription.active", trialing))).toEqual([]);
  });

  it("Subscription Cancellation Scheduled: subscription.canceled of a subscription that runs to its period's end, with when it ends", () => {
    expect(eventsOf(subscriptionEvent("subscription.canceled", scheduled))).toEqual([
      {
        name: "Subscription Cancellation Scheduled",
        timestamp: EVENT_AT,
        properties: { plan: "Pro", cancels_at: "2025-02-15T00:00:00.000Z" },
        schema: { properties: { plan: "str", cancels_at: "date" } },
      },
    ]);
  });

  it("no Cancellation Scheduled from the subscription.canceled Polar sends with a revocation (at once, or at the scheduled end)", () => {
    const revokedAtOnce = { status: "canceled", canceled_at: EVENT_AT, ends_at: EVENT_AT, ended_at: EVENT_AT };
    expect(eventsOf(subscriptionEvent("subscription.canceled", revokedAtOnce))).toEqual([]);
    const endedAsScheduled = { ...scheduled, status: "canceled", ended_at: "2025-02-15T00:00:00Z" };
    expect(eventsOf(subscriptionEvent("subscription.canceled", endedAsScheduled))).toEqual([]);
  });

  it("Subscription Canceled: subscription.revoked, with the MRR it brought in (0 when it ended in its trial)", () => {
    const ended = { ...scheduled, status: "canceled", ended_at: "2025-02-15T00:00:00Z" };
    expect(eventsOf(subscriptionEvent("subscription.revoked", ended))).toEqual([
      { name: "Subscription Canceled", timestamp: EVENT_AT, properties: { plan: "Pro", previous_mrr: 147 }, schema: { properties: { plan: "str", previous_mrr: "real" } } },
    ]);
    const trialEnded = { ...trialing, status: "canceled", canceled_at: EVENT_AT, ends_at: EVENT_AT, ended_at: EVENT_AT };
    expect(eventsOf(subscriptionEvent("subscription.revoked", trialEnded))[0]?.properties).toEqual({ plan: "Pro", previous_mrr: 0 });
  });

  it("nothing from subscription.updated (another product cannot be told from the payload) or subscription.uncanceled", () => {
    expect(eventsOf(subscriptionEvent("subscription.updated", { product: polarProduct({ name: "Team" }, 9_900), amount: 29_700 }))).toEqual([]);
    expect(eventsOf(subscriptionEvent("subscription.uncanceled"))).toEqual([]);
  });

  it("Payment Succeeded: order.paid above 0, with the total charged; none for a free order", () => {
    expect(eventsOf(polarEvent("order.paid", polarOrder()))).toEqual([
      expect.objectContaining({ name: "Payment Succeeded", properties: { amount: 58.8, currency: "usd" } }),
    ]);
    const free = polarOrder({ subtotal_amount: 0, net_amount: 0, tax_amount: 0, total_amount: 0 });
    expect(eventsOf(polarEvent("order.paid", free))).toEqual([]);
  });

  it("Refund Issued: order.refunded, with the order's refunded amount and its tax", () => {
    const refunded = polarOrder({ status: "partially_refunded", refunded_amount: 2_000, refunded_tax_amount: 400 });
    expect(eventsOf(polarEvent("order.refunded", refunded))).toEqual([
      expect.objectContaining({ name: "Refund Issued", properties: { amount: 24, currency: "usd" } }),
    ]);
  });
});
