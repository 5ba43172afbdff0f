import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { buildMessage } from "../../functions/message-build";
import { paddleSource } from "../../functions/sources/paddle";
import { paddleAdjustment, paddleEvent, paddleItem, paddleSubscription, paddleTransaction } from "../support/paddle-events";

const ON = loadConfig({ FULLSTORY_EVENTS: "true" });
const AT = "2024-02-01T00:00:00.123Z";

/** The lifecycle events ingest would queue for a Paddle body. */
function eventsOf(body: Record<string, unknown>) {
  const parsed = paddleSource.parse(body, { timestamp: Date.parse(AT) / 1000 });
  if (parsed.kind !== "event") throw new Error(`not an event: ${JSON.stringify(parsed)}`);
  const built = buildMessage(paddleSource, parsed.event, ON, JSON.stringify(body), AT);
  if (built.kind !== "message") throw new Error(`not a message: ${JSON.stringify(built)}`);
  return built.message.events ?? [];
}
const names = (body: Record<string, unknown>) => eventsOf(body).map((e) => e.name);

/** A subscription in its 14-day trial: never billed yet, its period the trial. */
const trialing = () =>
  paddleSubscription({
    status: "trialing",
    first_billed_at: null,
    current_billing_period: { starts_at: "2024-02-01T00:00:00.000000Z", ends_at: "2024-02-15T00:00:00.000000Z" },
    items: [paddleItem({ status: "trialing", trial_dates: { starts_at: "2024-02-01T00:00:00.000000Z", ends_at: "2024-02-15T00:00:00.000000Z" } })],
  });
/** Active in the first period Paddle billed (created without a trial, or just out of one). */
const firstPeriod = (overrides: Record<string, unknown> = {}) =>
  paddleSubscription({
    first_billed_at: "2024-02-01T00:00:00.000000Z",
    current_billing_period: { starts_at: "2024-02-01T00:00:00.000000Z", ends_at: "2024-03-01T00:00:00.000000Z" },
    ...overrides,
  });

describe("Paddle lifecycle events", () => {
  it("Trial Started: subscription.created in trial, with the plan and the trial's end", () => {
    expect(eventsOf(paddleEvent("subscription.created", trialing()))).toEqual([
      {
        name: "Trial Started",
        timestamp: AT,
        properties: { plan: "Pro", trial_ends_at: "2024-02-15T00:00:00.000Z" },
        schema: { properties: { plan: "str", trial_ends_at: "date" } },
      },
    ]);
  });

  it("no second Trial Started from the subscription.trialing Paddle sends with it", () => {
    expect(eventsOf(paddleEvent("subscription.trialing", trialing()))).toEqual([]);
  });

  it("Subscription Started: subscription.activated in the first billed period, with plan, MRR, currency, interval and seats", () => {
    const subscription = firstPeriod({ items: [paddleItem({ quantity: 3 })] });
    expect(eventsOf(paddleEvent("subscription.activated", subscription))).toEqual([
      {
        name: "Subscription Started",
        timestamp: AT,
        properties: { plan: "Pro", mrr: 60, currency: "usd", plan_interval: "month", seats: 3 },
        schema: { properties: { plan: "str", mrr: "real", currency: "str", plan_interval: "str", seats: "int" } },
      },
    ]);
  });

  it("no Subscription Started from subscription.created active: the subscription.activated sent with it carries the start", () => {
    expect(eventsOf(paddleEvent("subscription.created", firstPeriod()))).toEqual([]);
  });

  it("no Subscription Started from a subscription.activated after a resume (first billed in an earlier period)", () => {
    const resumed = paddleSubscription({ first_billed_at: "2024-01-01T00:00:00.000000Z" });
    expect(eventsOf(paddleEvent("subscription.activated", resumed))).toEqual([]);
  });

  it("Subscription Canceled: subscription.canceled, with the MRR it brought in (0 when never billed: ended in its trial)", () => {
    const ended = paddleSubscription({ status: "canceled", canceled_at: "2024-02-01T00:00:00.000000Z", current_billing_period: null });
    expect(eventsOf(paddleEvent("subscription.canceled", ended))).toEqual([
      expect.objectContaining({ name: "Subscription Canceled", properties: { plan: "Pro", previous_mrr: 20 } }),
    ]);
    const inTrial = { ...trialing(), status: "canceled", canceled_at: "2024-02-10T00:00:00.000000Z" };
    expect(eventsOf(paddleEvent("subscription.canceled", inTrial))[0]?.properties).toEqual({ plan: "Pro", previous_mrr: 0 });
  });

  it("no Plan Changed or Cancellation Scheduled from subscription.updated, which carries no previous state", () => {
    const team = paddleSubscription({ items: [paddleItem({ product: { id: "pro_team", name: "Team" } })] });
    expect(eventsOf(paddleEvent("subscription.updated", team))).toEqual([]);
    const scheduled = paddleSubscription({ scheduled_change: { action: "cancel", effective_at: "2024-03-01T00:00:00.000000Z", resume_at: null } });
    expect(eventsOf(paddleEvent("subscription.updated", scheduled))).toEqual([]);
  });

  it("nothing from subscription.past_due, .paused or .resumed", () => {
    expect(names(paddleEvent("subscription.past_due", paddleSubscription({ status: "past_due" })))).toEqual([]);
    expect(names(paddleEvent("subscription.paused", paddleSubscription({ status: "paused" })))).toEqual([]);
    expect(names(paddleEvent("subscription.resumed", paddleSubscription()))).toEqual([]);
  });

  it("Payment Succeeded: transaction.completed above 0, with grand_total in major units; none for a $0 transaction", () => {
    expect(eventsOf(paddleEvent("transaction.completed", paddleTransaction()))).toEqual([
      expect.objectContaining({ name: "Payment Succeeded", properties: { amount: 20, currency: "usd" } }),
    ]);
    const free = paddleTransaction({ details: { totals: { grand_total: "0", currency_code: "USD" } }, payments: [] });
    expect(eventsOf(paddleEvent("transaction.completed", free))).toEqual([]);
  });

  it("Payment Failed: transaction.payment_failed, with the amount due, currency and the attempts so far", () => {
    const failed = paddleTransaction({
      status: "past_due",
      details: { totals: { grand_total: "4900", currency_code: "EUR" } },
      payments: [
        { amount: "4900", status: "error", created_at: "2024-02-04T00:00:00.000000Z", captured_at: null, error_code: "declined" },
        { amount: "4900", status: "error", created_at: "2024-02-01T00:00:00.000000Z", captured_at: null, error_code: "declined" },
      ],
    });
    expect(eventsOf(paddleEvent("transaction.payment_failed", failed))).toEqual([
      {
        name: "Payment Failed",
        timestamp: AT,
        properties: { amount_due: 49, currency: "eur", attempt_count: 2 },
        schema: { properties: { amount_due: "real", currency: "str", attempt_count: "int" } },
      },
    ]);
  });

  it("Refund Issued: an approved refund adjustment, with this refund's amount; none while it awaits approval", () => {
    expect(eventsOf(paddleEvent("adjustment.updated", paddleAdjustment()))).toEqual([
      expect.objectContaining({ name: "Refund Issued", properties: { amount: 5, currency: "usd" } }),
    ]);
    const pending = paddleEvent("adjustment.created", paddleAdjustment({ status: "pending_approval" }));
    const parsed = paddleSource.parse(pending, { timestamp: 0 });
    if (parsed.kind !== "event") throw new Error("not an event");
    expect(buildMessage(paddleSource, parsed.event, ON, JSON.stringify(pending), AT)).toEqual({ kind: "ignored", reason: "not_an_approved_refund" });
  });
});
