import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { buildMessage } from "../../functions/message-build";
import { lemonsqueezySource } from "../../functions/sources/lemonsqueezy";
import { UPDATED, lemonSqueezyEvent, lsOrder, lsSubscription, lsSubscriptionInvoice } from "../support/lemonsqueezy-events";

const ON = loadConfig({ FULLSTORY_EVENTS: "true" });
const AT = "2025-02-01T00:00:00.000Z";

/** The lifecycle events ingest would queue for a Lemon Squeezy body. */
function eventsOf(body: Record<string, unknown>) {
  const parsed = lemonsqueezySource.parse(body, { id: "body-hash", timestamp: Date.parse(UPDATED) / 1000 });
  if (parsed.kind !== "event") throw new Error(`not an event: ${JSON.stringify(parsed)}`);
  const built = buildMessage(lemonsqueezySource, parsed.event, ON, JSON.stringify(body), AT);
  if (built.kind !== "message") throw new Error(`not a message: ${JSON.stringify(built)}`);
  return built.message.events ?? [];
}
const subscriptionEvent = (name: string, overrides: Record<string, unknown> = {}) => lemonSqueezyEvent(name, "subscription", lsSubscription(overrides));
const invoiceEvent = (name: string, overrides: Record<string, unknown> = {}) => lemonSqueezyEvent(name, "invoice", lsSubscriptionInvoice(overrides));

const onTrial = { status: "on_trial", trial_ends_at: "2025-02-15T00:00:00.000000Z", renews_at: "2025-02-15T00:00:00.000000Z", first_subscription_item: null };

describe("Lemon Squeezy lifecycle events", () => {
  it("Trial Started: subscription_created on_trial, with the plan and the trial's end", () => {
    expect(eventsOf(subscriptionEvent("subscription_created", onTrial))).toEqual([
      {
        name: "Trial Started",
        timestamp: AT,
        properties: { plan: "Pro", trial_ends_at: "2025-02-15T00:00:00.000Z" },
        schema: { properties: { plan: "str", trial_ends_at: "date" } },
      },
    ]);
  });

  it("Subscription Started: subscription_created active, with the plan and seats (the subscription carries no price, interval or currency)", () => {
    expect(eventsOf(subscriptionEvent("subscription_created"))).toEqual([
      { name: "Subscription Started", timestamp: AT, properties: { plan: "Pro", seats: 3 }, schema: { properties: { plan: "str", seats: "int" } } },
    ]);
  });

  it("Subscription Cancellation Scheduled: subscription_cancelled, which runs until ends_at, with when it cancels", () => {
    const cancelled = subscriptionEvent("subscription_cancelled", { status: "cancelled", cancelled: true, renews_at: null, ends_at: "2025-02-15T00:00:00.000000Z" });
    expect(eventsOf(cancelled)).toEqual([
      {
        name: "Subscription Cancellation Scheduled",
        timestamp: AT,
        properties: { plan: "Pro", cancels_at: "2025-02-15T00:00:00.000Z" },
        schema: { properties: { plan: "str", cancels_at: "date" } },
      },
    ]);
  });

  it("Subscription Canceled: subscription_expired, without previous_mrr (no price in the payload) unless it ended in its trial (0)", () => {
    const expired = subscriptionEvent("subscription_expired", { status: "expired", cancelled: true, renews_at: null, ends_at: "2025-02-15T00:00:00.000000Z" });
    expect(eventsOf(expired)).toEqual([{ name: "Subscription Canceled", timestamp: AT, properties: { plan: "Pro" }, schema: { properties: { plan: "str" } } }]);
    const trialExpired = subscriptionEvent("subscription_expired", { ...onTrial, status: "expired", cancelled: true, renews_at: null, ends_at: "2025-02-15T00:00:00.000000Z" });
    expect(eventsOf(trialExpired)[0]?.properties).toEqual({ plan: "Pro", previous_mrr: 0 });
  });

  it("nothing from subscription_updated (another plan, or a converted trial, cannot be told), _resumed, _paused or _unpaused", () => {
    expect(eventsOf(subscriptionEvent("subscription_updated", { variant_name: "Yearly" }))).toEqual([]);
    for (const name of ["subscription_resumed", "subscription_unpaused"]) expect(eventsOf(subscriptionEvent(name))).toEqual([]);
    expect(eventsOf(subscriptionEvent("subscription_paused", { status: "paused", pause: { mode: "void", resumes_at: null } }))).toEqual([]);
  });

  it("Payment Succeeded: a paid order_created, total in major units; none for a pending order", () => {
    expect(eventsOf(lemonSqueezyEvent("order_created", "order", lsOrder()))).toEqual([
      expect.objectContaining({ name: "Payment Succeeded", properties: { amount: 11.99, currency: "usd" } }),
    ]);
    expect(eventsOf(lemonSqueezyEvent("order_created", "order", lsOrder({ status: "pending" })))).toEqual([]);
  });

  it("Payment Succeeded: a renewal's subscription_payment_success; none for the initial one, whose order_created carries the payment", () => {
    expect(eventsOf(invoiceEvent("subscription_payment_success"))).toEqual([
      expect.objectContaining({ name: "Payment Succeeded", properties: { amount: 147, currency: "usd" } }),
    ]);
    expect(eventsOf(invoiceEvent("subscription_payment_success", { billing_reason: "initial" }))).toEqual([]);
  });

  it("Payment Failed: subscription_payment_failed, with the amount due and currency (Lemon Squeezy sends no attempt count)", () => {
    expect(eventsOf(invoiceEvent("subscription_payment_failed", { status: "pending" }))).toEqual([
      { name: "Payment Failed", timestamp: AT, properties: { amount_due: 147, currency: "usd" }, schema: { properties: { amount_due: "real", currency: "str" } } },
    ]);
  });

  it("Refund Issued: subscription_payment_refunded, with the invoice's refunded amount", () => {
    const refunded = invoiceEvent("subscription_payment_refunded", { status: "refunded", refunded: true, refunded_at: UPDATED, refunded_amount: 4_900 });
    expect(eventsOf(refunded)).toEqual([expect.objectContaining({ name: "Refund Issued", properties: { amount: 49, currency: "usd" } })]);
  });
});
