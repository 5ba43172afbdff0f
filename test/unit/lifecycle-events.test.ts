import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import { LIFECYCLE_EVENT_NAMES } from "../../functions/lifecycle";
import { buildMessage } from "../../functions/message-build";
import { clerkSource } from "../../functions/sources/clerk";
import { stripeSource } from "../../functions/sources/stripe";
import type { Source } from "../../functions/sources/types";
import { clerkDeletedUser, clerkEvent, clerkUser, USER_ID } from "../support/clerk-events";
import { chargeObject, invoiceObject, priceObject, stripeEvent, subscriptionItem, subscriptionObject } from "../support/stripe-events";

const ON = loadConfig({ FULLSTORY_EVENTS: "true" });
const AT = "2024-02-01T00:00:00.000Z";

/** The lifecycle events ingest would queue for `body` of `source` under `config`. */
function eventsOf(source: Source, body: unknown, config: Config = ON) {
  const parsed = source.parse(body, { id: "msg_1", timestamp: Date.parse(AT) / 1000 });
  if (parsed.kind !== "event") throw new Error(`not an event: ${JSON.stringify(parsed)}`);
  const built = buildMessage(source, parsed.event, config, JSON.stringify(body), AT);
  if (built.kind !== "message") throw new Error(`not a message: ${JSON.stringify(built)}`);
  return built.message.events ?? [];
}
const stripe = (type: string, object: Record<string, unknown>, previous?: Record<string, unknown>) =>
  eventsOf(stripeSource, stripeEvent(type, object, previous ? { data: { object, previous_attributes: previous } } : {}));

const trialing = { status: "trialing", trial_end: 1_707_955_200 };
const teamPrice = priceObject({ id: "price_Team", lookup_key: "team_monthly", unit_amount: 5000 });

describe("lifecycle events: one per row of the table", () => {
  it("Signed Up: a Clerk user.created, with its signup source", () => {
    expect(eventsOf(clerkSource, clerkEvent("user.created", clerkUser()))).toEqual([
      { name: "Signed Up", timestamp: expect.any(String), properties: { signup_source: "clerk" }, schema: { properties: { signup_source: "str" } } },
    ]);
  });

  it("Account Deleted: a Clerk user.deleted", () => {
    expect(eventsOf(clerkSource, clerkEvent("user.deleted", clerkDeletedUser(USER_ID))).map((e) => e.name)).toEqual(["Account Deleted"]);
  });

  it("no Signed Up for a Clerk user.updated", () => {
    expect(eventsOf(clerkSource, clerkEvent("user.updated", clerkUser()))).toEqual([]);
  });

  it("Trial Started: a subscription created in trial, with its plan and trial end", () => {
    const [event] = stripe("customer.subscription.created", subscriptionObject(trialing));
    expect(event).toMatchObject({ name: "Trial Started", properties: { plan: "pro_monthly", trial_ends_at: "2024-02-15T00:00:00.000Z" }, schema: { properties: { plan: "str", trial_ends_at: "date" } } });
  });

  it("Subscription Started: a subscription created active, with plan, MRR, currency, interval and seats", () => {
    const events = stripe("customer.subscription.created", subscriptionObject({ items: [subscriptionItem({ quantity: 3 })] }));
    expect(events).toEqual([
      {
        name: "Subscription Started",
        timestamp: "2024-02-01T00:00:00.000Z",
        properties: { plan: "pro_monthly", mrr: 60, currency: "usd", plan_interval: "month", seats: 3 },
        schema: { properties: { plan: "str", mrr: "real", currency: "str", plan_interval: "str", seats: "int" } },
      },
    ]);
  });

  it("Subscription Started: a trial that converts (trialing → active) and a first payment (incomplete → active)", () => {
    expect(stripe("customer.subscription.updated", subscriptionObject(), { status: "trialing" }).map((e) => e.name)).toEqual(["Subscription Started"]);
    expect(stripe("customer.subscription.updated", subscriptionObject(), { status: "incomplete" }).map((e) => e.name)).toEqual(["Subscription Started"]);
    expect(stripe("customer.subscription.updated", subscriptionObject(), { status: "past_due" })).toEqual([]);
  });

  it("Subscription Plan Changed: another price than in previous_attributes, with both plans and both MRRs", () => {
    const now = subscriptionObject({ items: [subscriptionItem({ price: teamPrice })] });
    const previous = { items: { object: "list", data: [subscriptionItem()], has_more: false } };
    expect(stripe("customer.subscription.updated", now, previous)).toEqual([
      expect.objectContaining({ name: "Subscription Plan Changed", properties: { plan: "team_monthly", previous_plan: "pro_monthly", mrr: 50, previous_mrr: 20 } }),
    ]);
  });

  it("Subscription Cancellation Scheduled: cancel_at_period_end turns true, with when it cancels", () => {
    const events = stripe("customer.subscription.updated", subscriptionObject({ cancel_at_period_end: true }), { cancel_at_period_end: false });
    expect(events).toEqual([expect.objectContaining({ name: "Subscription Cancellation Scheduled", properties: { plan: "pro_monthly", cancels_at: "2024-03-01T00:00:00.000Z" } })]);
  });

  it("no transition for an update whose previous_attributes change nothing the table lists, or that has none", () => {
    expect(stripe("customer.subscription.updated", subscriptionObject(), { metadata: { note: "x" } })).toEqual([]);
    expect(stripe("customer.subscription.updated", subscriptionObject())).toEqual([]);
  });

  it("Subscription Canceled: the subscription ends, with the MRR it brought in (0 when it ended in trial)", () => {
    const paid = stripe("customer.subscription.deleted", subscriptionObject({ status: "canceled", ended_at: 1_706_745_600 }));
    expect(paid).toEqual([expect.objectContaining({ name: "Subscription Canceled", properties: { plan: "pro_monthly", previous_mrr: 20 } })]);
    const inTrial = stripe("customer.subscription.deleted", subscriptionObject({ status: "canceled", trial_end: 1_707_955_200, ended_at: 1_706_745_600 }));
    expect(inTrial[0]?.properties).toEqual({ plan: "pro_monthly", previous_mrr: 0 });
  });

  it("Trial Ending: customer.subscription.trial_will_end, with the trial's end", () => {
    expect(stripe("customer.subscription.trial_will_end", subscriptionObject(trialing))).toEqual([
      expect.objectContaining({ name: "Trial Ending", properties: { trial_ends_at: "2024-02-15T00:00:00.000Z" } }),
    ]);
  });

  it("Payment Succeeded: a paid invoice above 0, once per payment (invoice.paid, not also invoice.payment_succeeded)", () => {
    expect(stripe("invoice.paid", invoiceObject())).toEqual([expect.objectContaining({ name: "Payment Succeeded", properties: { amount: 20, currency: "usd" } })]);
    expect(stripe("invoice.payment_succeeded", invoiceObject())).toEqual([]);
    expect(stripe("invoice.paid", invoiceObject({ amount_paid: 0, amount_due: 0 }))).toEqual([]);
  });

  it("Payment Failed: a failed invoice payment, with the amount due, currency and attempt count", () => {
    const events = stripe("invoice.payment_failed", invoiceObject({ amount_paid: 0, attempt_count: 2, status: "open" }));
    expect(events).toEqual([expect.objectContaining({ name: "Payment Failed", properties: { amount_due: 20, currency: "usd", attempt_count: 2 } })]);
  });

  it("Refund Issued: this refund's amount (what the refunded total grew by), else the total", () => {
    expect(stripe("charge.refunded", chargeObject({ amount_refunded: 1500 }), { amount_refunded: 500 })).toEqual([
      expect.objectContaining({ name: "Refund Issued", properties: { amount: 10, currency: "usd" } }),
    ]);
    expect(stripe("charge.refunded", chargeObject())[0]?.properties).toEqual({ amount: 5, currency: "usd" });
  });

  it("stamps each event with when it happened, not when it arrived", () => {
    const [event] = eventsOf(stripeSource, stripeEvent("invoice.paid", invoiceObject(), { created: 1_700_000_000 }));
    expect(event?.timestamp).toBe("2023-11-14T22:13:20.000Z");
  });
});

describe("lifecycle event settings", () => {
  it("sends none by default: the feature is opt-in", () => {
    expect(loadConfig({}).events.enabled).toBe(false);
    expect(eventsOf(stripeSource, stripeEvent("invoice.paid", invoiceObject()), loadConfig({}))).toEqual([]);
  });

  it("renames single events and switches others off with FULLSTORY_EVENT_NAMES", () => {
    const config = loadConfig({ FULLSTORY_EVENTS: "true", FULLSTORY_EVENT_NAMES: JSON.stringify({ "Payment Succeeded": "Invoice Paid", "Refund Issued": false }) });
    expect(eventsOf(stripeSource, stripeEvent("invoice.paid", invoiceObject()), config).map((e) => e.name)).toEqual(["Invoice Paid"]);
    expect(eventsOf(stripeSource, stripeEvent("charge.refunded", chargeObject()), config)).toEqual([]);
    expect(eventsOf(stripeSource, stripeEvent("invoice.payment_failed", invoiceObject()), config).map((e) => e.name)).toEqual(["Payment Failed"]);
  });

  it("refuses a FULLSTORY_EVENT_NAMES that is not JSON, names an unknown event, or gives a name Fullstory would refuse, naming the variable", () => {
    const attempt = (value: string) => () => loadConfig({ FULLSTORY_EVENTS: "true", FULLSTORY_EVENT_NAMES: value });
    expect(attempt("{oops")).toThrow(/FULLSTORY_EVENT_NAMES: not JSON/);
    expect(attempt(JSON.stringify({ "Payment Sucessful": "x" }))).toThrow(/FULLSTORY_EVENT_NAMES: unknown event name\(s\) "Payment Sucessful"/);
    expect(attempt(JSON.stringify({ "Signed Up": "" }))).toThrow(/FULLSTORY_EVENT_NAMES: Signed Up:/);
    expect(attempt(JSON.stringify({ "Signed Up": "x".repeat(251) }))).toThrow(/FULLSTORY_EVENT_NAMES: Signed Up:/);
    expect(attempt(JSON.stringify({ "Signed Up": true }))).toThrow(/FULLSTORY_EVENT_NAMES/);
    expect(attempt(JSON.stringify(["Signed Up"]))).toThrow(/FULLSTORY_EVENT_NAMES/);
  });

  it("knows every default name of the table", () => {
    expect(LIFECYCLE_EVENT_NAMES).toHaveLength(11);
    expect(Object.keys(ON.events.names).sort()).toEqual([...LIFECYCLE_EVENT_NAMES].sort());
  });
});

describe("lifecycle event limits", () => {
  it("refuses at ingest an event property over Fullstory's 8 KiB value limit, naming its path", () => {
    const huge = priceObject({ lookup_key: "p".repeat(9000) });
    const body = stripeEvent("customer.subscription.updated", subscriptionObject(), {
      data: { object: subscriptionObject(), previous_attributes: { items: { object: "list", data: [subscriptionItem({ price: huge })], has_more: false } } },
    });
    const parsed = stripeSource.parse(body, { timestamp: 0 });
    if (parsed.kind !== "event") throw new Error("not an event");
    expect(buildMessage(stripeSource, parsed.event, ON, JSON.stringify(body), AT)).toEqual({ kind: "invalid", issues: ["events.0.properties.previous_plan"] });
  });
});
