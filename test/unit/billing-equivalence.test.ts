import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { SOURCES } from "../../functions/sources";
import type { SourceName } from "../../functions/config";
import type { Properties, PropertyType } from "../../functions/upsert";
import { chargebeeCustomer, chargebeeEvent, chargebeeItem, chargebeeSubscription } from "../support/chargebee-events";
import { paddleEvent, paddleItem, paddlePrice, paddleSubscription } from "../support/paddle-events";
import { priceObject, stripeEvent, subscriptionItem, subscriptionObject } from "../support/stripe-events";

/**
 * The billing vocabulary's promise (DESIGN.md, "Billing vocabulary"): the same billing facts give
 * the same Fullstory properties whatever the billing system, so one segment ("mrr > 100 and
 * subscription_status = past_due") works for every team. Each case describes one subscription once
 * (plan, price, seats, interval, status, dates) and writes it as Stripe, Paddle and Chargebee
 * would send it; the upserts must agree on every vocabulary property but the provider's own name
 * and customer id.
 */

const config = loadConfig({});
const SUBSCRIPTION = "sub_equivalent01";
const PERIOD_END = 1_709_251_200; // 2024-03-01T00:00:00Z
const TRIAL_END = 1_707_350_400; // 2024-02-08T00:00:00Z
const CANCELED = 1_706_745_600; // 2024-02-01T00:00:00Z
const SCHEDULED = 1_706_700_000; // when a cancellation at the period's end was asked for
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

interface Fact {
  name: string;
  /** The price per seat in cents of USD, billed every `count` `interval`s. */
  cents: number;
  interval: "month" | "year";
  count: number;
  seats: number;
  /** In Stripe's words. */
  status: "active" | "trialing" | "canceled";
  cancelAtPeriodEnd?: boolean;
}

const FACTS: Fact[] = [
  { name: "an active monthly plan of 3 seats", cents: 4900, interval: "month", count: 1, seats: 3, status: "active" },
  { name: "an active yearly plan of 2 seats", cents: 48_000, interval: "year", count: 1, seats: 2, status: "active" },
  { name: "a quarterly plan in its trial", cents: 15_000, interval: "month", count: 3, seats: 1, status: "trialing" },
  { name: "a canceled monthly plan", cents: 4900, interval: "month", count: 1, seats: 5, status: "canceled" },
  { name: "an active plan set to cancel at the period's end", cents: 4900, interval: "month", count: 1, seats: 2, status: "active", cancelAtPeriodEnd: true },
];

function stripeOf(f: Fact): Record<string, unknown> {
  const price = priceObject({ lookup_key: null, nickname: "Pro", unit_amount: f.cents, unit_amount_decimal: String(f.cents), recurring: { interval: f.interval, interval_count: f.count, usage_type: "licensed" } });
  const subscription = subscriptionObject({
    id: SUBSCRIPTION,
    status: f.status,
    items: [subscriptionItem({ price, quantity: f.seats, current_period_end: f.status === "canceled" ? undefined : PERIOD_END })],
    trial_end: f.status === "trialing" ? TRIAL_END : null,
    canceled_at: f.status === "canceled" ? CANCELED : f.cancelAtPeriodEnd ? SCHEDULED : null,
    cancel_at_period_end: f.cancelAtPeriodEnd ?? false,
  });
  return stripeEvent("customer.subscription.updated", subscription);
}

function paddleOf(f: Fact): Record<string, unknown> {
  const price = paddlePrice({ unit_price: { amount: String(f.cents), currency_code: "USD" }, billing_cycle: { interval: f.interval, frequency: f.count } });
  const item = paddleItem({
    price,
    quantity: f.seats,
    status: f.status === "trialing" ? "trialing" : "active",
    trial_dates: f.status === "trialing" ? { starts_at: iso(TRIAL_END - 14 * 86_400), ends_at: iso(TRIAL_END) } : null,
  });
  const subscription = paddleSubscription({
    id: SUBSCRIPTION,
    status: f.status,
    billing_cycle: { interval: f.interval, frequency: f.count },
    current_billing_period: f.status === "canceled" ? null : { starts_at: iso(PERIOD_END - 29 * 86_400), ends_at: iso(PERIOD_END) },
    scheduled_change: f.cancelAtPeriodEnd ? { action: "cancel", effective_at: iso(PERIOD_END), resume_at: null } : null,
    canceled_at: f.status === "canceled" ? iso(CANCELED) : null,
    items: [item],
  });
  return paddleEvent("subscription.updated", subscription);
}

function chargebeeOf(f: Fact): Record<string, unknown> {
  const status = f.status === "trialing" ? "in_trial" : f.status === "canceled" ? "cancelled" : f.cancelAtPeriodEnd ? "non_renewing" : "active";
  const subscription = chargebeeSubscription({
    id: SUBSCRIPTION,
    status,
    billing_period: f.count,
    billing_period_unit: f.interval,
    current_term_end: f.status === "canceled" ? undefined : PERIOD_END,
    trial_end: f.status === "trialing" ? TRIAL_END : undefined,
    cancelled_at: f.status === "canceled" ? CANCELED : f.cancelAtPeriodEnd ? PERIOD_END : undefined,
    cancel_schedule_created_at: f.cancelAtPeriodEnd ? SCHEDULED : undefined,
    // Chargebee's own figure: the price per month for what is paying, 0 otherwise.
    mrr: f.status === "active" ? Math.round((f.cents * f.seats) / (f.interval === "year" ? 12 * f.count : f.count)) : 0,
    items: [chargebeeItem({ item_price_id: "Pro", quantity: f.seats, unit_price: f.cents, amount: f.cents * f.seats })],
  });
  return chargebeeEvent("subscription_changed", { subscription, customer: chargebeeCustomer() });
}

function upsertOf(source: SourceName, body: Record<string, unknown>): { properties: Properties; types: Record<string, PropertyType> } {
  const parsed = SOURCES[source].parse(body, { timestamp: 1_706_745_600 });
  if (parsed.kind !== "event") throw new Error(`${source}: ${JSON.stringify(parsed)}`);
  const normalised = SOURCES[source].normalise(parsed.event, config);
  if (normalised.kind !== "mapped" || !normalised.mapped.patch) throw new Error(`${source}: ${JSON.stringify(normalised)}`);
  return { properties: normalised.mapped.patch.properties, types: normalised.mapped.patch.schema?.properties ?? {} };
}

/** The vocabulary's properties, without the ones that name the provider (its name, its customer id). */
function vocabulary(upsert: { properties: Properties; types: Record<string, PropertyType> }) {
  const own = (name: string) => name === "billing_provider" || name.endsWith("_customer_id");
  const pick = <T,>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([name]) => !own(name)));
  return { properties: pick(upsert.properties), types: pick(upsert.types) };
}

describe("one billing vocabulary across Stripe, Paddle and Chargebee", () => {
  it.each(FACTS.map((f) => [f.name, f] as const))("writes the same properties, with the same types, for %s", (_, fact) => {
    const stripe = upsertOf("stripe", stripeOf(fact));
    const paddle = upsertOf("paddle", paddleOf(fact));
    const chargebee = upsertOf("chargebee", chargebeeOf(fact));
    const expected = vocabulary(stripe);
    // Paddle does not say when a cancellation at the period's end was asked for (Stripe's canceled_at then).
    const paddleExpected = fact.cancelAtPeriodEnd
      ? { properties: { ...expected.properties, canceled_at: undefined }, types: { ...expected.types, canceled_at: undefined } }
      : expected;
    expect(JSON.parse(JSON.stringify(vocabulary(paddle)))).toEqual(JSON.parse(JSON.stringify(paddleExpected)));
    expect(vocabulary(chargebee)).toEqual(expected);
    expect(Object.keys(expected.properties)).toEqual(expect.arrayContaining(["plan", "plan_interval", "plan_interval_count", "subscription_status", "seats", "mrr", "currency", "cancel_at_period_end"]));
  });

  it("names the provider and its customer id in each provider's own property", () => {
    const fact = FACTS[0] as Fact;
    expect(upsertOf("paddle", paddleOf(fact)).properties).toMatchObject({ billing_provider: "paddle", paddle_customer_id: expect.stringMatching(/^ctm_/) });
    expect(upsertOf("chargebee", chargebeeOf(fact)).properties).toMatchObject({ billing_provider: "chargebee", chargebee_customer_id: "user_ada" });
    expect(upsertOf("stripe", stripeOf(fact)).properties).toMatchObject({ stripe_customer_id: "cus_Test123" });
  });
});
