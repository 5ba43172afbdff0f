import { describe, expect, it } from "vitest";
import { loadConfig, type SourceName } from "../../functions/config";
import { SOURCES } from "../../functions/sources";
import type { UserPatch } from "../../functions/upsert";
import { lemonSqueezyEvent, lsSubscription } from "../support/lemonsqueezy-events";
import { polarEvent, polarSubscription } from "../support/polar-events";
import { priceObject, stripeEvent, subscriptionItem, subscriptionObject } from "../support/stripe-events";

/**
 * DESIGN.md, "Billing vocabulary": one Fullstory segment works whatever billing system a team uses.
 * The same subscription (Pro, $49 a month per seat, three seats, renewing 2025-02-15) described by
 * Stripe, Polar and Lemon Squeezy must land on the same property names, with the same types and
 * values. Only the provider's own customer id and `billing_provider` differ by name, and Lemon
 * Squeezy leaves out what its subscription does not carry (price, interval, currency).
 */
const config = loadConfig({});
const PERIOD_END = 1_739_577_600; // 2025-02-15T00:00:00Z

function patchOf(source: SourceName, body: unknown): UserPatch {
  const src = SOURCES[source];
  const parsed = src.parse(body, { id: "msg_vocabulary", timestamp: 1_738_368_000 });
  if (parsed.kind !== "event") throw new Error(`${source}: ${JSON.stringify(parsed)}`);
  const normalised = src.normalise(parsed.event, config);
  if (normalised.kind !== "mapped" || !normalised.mapped.patch) throw new Error(`${source}: ${JSON.stringify(normalised)}`);
  return normalised.mapped.patch;
}

/** The vocabulary's part of a patch: every property but the provider's own. */
function vocabulary(patch: UserPatch): { properties: Record<string, unknown>; types: Record<string, string> } {
  const own = /^(billing_provider|[a-z]+_customer_id)$/;
  const keep = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([name]) => !own.test(name)));
  return { properties: keep(patch.properties), types: keep(patch.schema?.properties ?? {}) };
}

const stripeSubscription = (overrides: Record<string, unknown> = {}, status = "active") =>
  patchOf(
    "stripe",
    stripeEvent(
      status === "canceled" ? "customer.subscription.deleted" : "customer.subscription.updated",
      subscriptionObject({
        id: "sub_vocabulary",
        items: [subscriptionItem({ price: priceObject({ lookup_key: "Pro", unit_amount: 4_900 }), quantity: 3, current_period_end: PERIOD_END })],
        ...overrides,
      }),
    ),
  );

const polar = (overrides: Record<string, unknown> = {}, type = "subscription.updated") =>
  patchOf("polar", polarEvent(type, polarSubscription({ id: "sub_vocabulary", current_period_end: "2025-02-15T00:00:00Z", ...overrides })));

const lemonSqueezy = (name: string, overrides: Record<string, unknown> = {}) =>
  patchOf("lemonsqueezy", lemonSqueezyEvent(name, "subscription", lsSubscription({ ...overrides })));

/** Lemon Squeezy's subscription id is its own resource id: compared apart from the rest. */
const withoutId = ({ properties, types }: ReturnType<typeof vocabulary>) => {
  const { subscription_id: _p, ...rest } = properties;
  const { subscription_id: _t, ...restTypes } = types;
  return { properties: rest, types: restTypes };
};

describe("billing vocabulary across sources", () => {
  it("writes a Polar subscription on exactly the properties, types and values of the equivalent Stripe one", () => {
    expect(vocabulary(polar())).toEqual(vocabulary(stripeSubscription()));
  });

  it("writes a Lemon Squeezy subscription on the Stripe properties it can tell, with their types and values", () => {
    const stripe = withoutId(vocabulary(stripeSubscription()));
    const lemon = withoutId(vocabulary(lemonSqueezy("subscription_updated")));
    // Not in a Lemon Squeezy subscription: its price, interval and currency (so no MRR while it pays).
    const { mrr: _m, plan_interval: _i, plan_interval_count: _c, currency: _cur, ...told } = stripe.properties;
    expect(lemon.properties).toEqual(told);
    for (const name of Object.keys(lemon.types)) expect(lemon.types[name], name).toBe(stripe.types[name]);
  });

  it("agrees on a subscription canceled at the period's end: still active, cancel_at_period_end set", () => {
    const stripe = vocabulary(stripeSubscription({ cancel_at_period_end: true })).properties;
    const cancelledAt = { canceled_at: "2025-01-20T10:00:00Z", cancel_at_period_end: true };
    expect(vocabulary(polar(cancelledAt, "subscription.canceled")).properties).toMatchObject({ subscription_status: "active", cancel_at_period_end: true, mrr: stripe.mrr });
    expect(stripe).toMatchObject({ subscription_status: "active", cancel_at_period_end: true });
    const lemon = vocabulary(lemonSqueezy("subscription_cancelled", { status: "cancelled", cancelled: true, ends_at: "2025-02-15T00:00:00.000000Z" })).properties;
    expect(lemon).toMatchObject({ subscription_status: stripe.subscription_status, cancel_at_period_end: true, current_period_end: stripe.current_period_end });
  });

  it("agrees on an ended subscription: canceled, MRR 0", () => {
    const stripe = vocabulary(stripeSubscription({ status: "canceled", canceled_at: 1_739_577_600 }, "canceled")).properties;
    expect(stripe).toMatchObject({ subscription_status: "canceled", mrr: 0 });
    expect(vocabulary(polar({ status: "canceled" }, "subscription.revoked")).properties).toMatchObject({ subscription_status: "canceled", mrr: 0 });
    expect(vocabulary(lemonSqueezy("subscription_expired", { status: "expired", cancelled: true, ends_at: "2025-02-15T00:00:00.000000Z" })).properties).toMatchObject({ subscription_status: "canceled", mrr: 0 });
  });

  it("agrees on a trial: trialing, MRR 0, the trial's end as a date", () => {
    const trialEnd = 1_737_000_000;
    const stripe = vocabulary(stripeSubscription({ status: "trialing", trial_end: trialEnd })).properties;
    const iso = new Date(trialEnd * 1000).toISOString();
    expect(stripe).toMatchObject({ subscription_status: "trialing", mrr: 0, trial_ends_at: iso });
    expect(vocabulary(polar({ status: "trialing", trial_end: iso })).properties).toMatchObject({ subscription_status: "trialing", mrr: 0, trial_ends_at: iso });
    expect(vocabulary(lemonSqueezy("subscription_created", { status: "on_trial", trial_ends_at: iso })).properties).toMatchObject({ subscription_status: "trialing", mrr: 0, trial_ends_at: iso });
  });
});
