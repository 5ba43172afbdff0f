import type { UserPatch } from "../../upsert";
import { PAYING_STATUSES, bool, date, dateIso as isoDate, int, patchOf, perMonth, real, str } from "../billing";
import type { SubscriptionView } from "../lifecycle";
import { toMajorUnits } from "./currency";
import type { Charge, Customer, Expandable, Invoice, Price, Subscription } from "./schema";

export { firstUid, fromMetadata, patchOf, str } from "../billing";

/** An event's own ISO time as a date property (always set: the event has a time). */
export const dateIso = (value: string) => isoDate(value) as NonNullable<ReturnType<typeof isoDate>>;

/**
 * The default mapping's building blocks (DESIGN.md, "Default mapping"): from Stripe objects to the
 * patch of properties they write, and the uid they name. Shared by the webhook path (the event's
 * snapshot) and API mode (the object as Stripe holds it now), so both write the same names.
 */

/** `billing_provider` of every Stripe billing patch (the vocabulary's name for where billing lives). */
export const PROVIDER = str("stripe");

/** The id of a field Stripe sends as an id or as the expanded object. */
export const idOf = (value: Expandable | null | undefined): string | undefined =>
  value == null ? undefined : typeof value === "string" ? value : value.id;

/** A minor-unit amount from its integer and its decimal text (the decimal wins: it is the exact one). */
const amountOf = (integer: number | null | undefined, decimal: string | null | undefined): number | undefined =>
  decimal != null ? Number(decimal) : integer ?? undefined;

/**
 * What `quantity` units of a tiered price cost per period, in minor units, when its tiers are known
 * (they are in API mode, expanded; a webhook's snapshot omits them). Volume: every unit at the
 * price of the tier the whole quantity falls in. Graduated: each unit at its own tier's price. Each
 * tier's flat amount is added once (volume: the one tier; graduated: every tier reached).
 * https://docs.stripe.com/products-prices/pricing-models#tiered-pricing
 */
function tieredAmount(price: Price, quantity: number): number | undefined {
  const tiers = price.tiers;
  if (!tiers || tiers.length === 0 || !price.tiers_mode) return undefined;
  const cost = (tier: (typeof tiers)[number], units: number) =>
    (amountOf(tier.unit_amount, tier.unit_amount_decimal) ?? 0) * units + (amountOf(tier.flat_amount, tier.flat_amount_decimal) ?? 0);
  if (price.tiers_mode === "volume") {
    const tier = tiers.find((t) => t.up_to === null || quantity <= t.up_to) ?? tiers.at(-1);
    return tier ? cost(tier, quantity) : undefined;
  }
  let total = 0;
  let below = 0;
  for (const tier of tiers) {
    if (quantity <= below) break;
    const top = tier.up_to ?? Number.POSITIVE_INFINITY;
    total += cost(tier, Math.min(quantity, top) - below);
    below = top;
  }
  return total;
}

/**
 * MRR: each item's price per period × quantity, brought to one month, summed, in major units.
 * - Per-unit prices: `unit_amount_decimal` when present (sub-cent prices have only that), else
 *   `unit_amount`.
 * - Tiered prices: from their tiers when known (API mode expands them), else 0.
 * - Metered prices: 0. They bill what was used, which is only known when the invoice is made.
 * - A snapshot lists at most ten items (`items.has_more`); API mode fetches them all.
 */
export function monthlyRevenue(subscription: Subscription): number {
  const minor = subscription.items.data.reduce((sum, item) => {
    const { price } = item;
    if (price.recurring.usage_type === "metered") return sum;
    const quantity = item.quantity ?? 0;
    const perPeriod =
      price.billing_scheme === "tiered" ? tieredAmount(price, quantity) ?? 0 : (amountOf(price.unit_amount, price.unit_amount_decimal) ?? 0) * quantity;
    return sum + perMonth(perPeriod, price.recurring.interval, price.recurring.interval_count);
  }, 0);
  return toMajorUnits(minor, subscription.currency);
}

/** The plan's name: the first item's price `lookup_key`, else its nickname, else its product, else its id. */
export function planOf(subscription: Subscription): string {
  const { price } = subscription.items.data[0];
  return price.lookup_key || price.nickname || idOf(price.product) || price.id;
}

/** Seats: every item's quantity, summed. */
const seatsOf = (subscription: Subscription): number => subscription.items.data.reduce((sum, item) => sum + (item.quantity ?? 0), 0);

/** The subscription as lifecycle events compare it (functions/sources/lifecycle.ts), with `status` as given. */
export function subscriptionView(subscription: Subscription, status: string = subscription.status): SubscriptionView {
  const { price } = subscription.items.data[0];
  const periodEnd = subscription.items.data[0].current_period_end ?? subscription.current_period_end;
  return {
    status,
    plan: planOf(subscription),
    monthlyValue: monthlyRevenue(subscription),
    currency: subscription.currency,
    interval: price.recurring.interval,
    seats: seatsOf(subscription),
    trialEndsAt: date(subscription.trial_end),
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    cancelsAt: date(subscription.cancel_at ?? periodEnd),
  };
}

/** The subscription's properties, with `status` as given (a deleted subscription is `canceled`). */
export function subscriptionPatch(subscription: Subscription, status: string = subscription.status): UserPatch {
  const [first] = subscription.items.data;
  const { price } = first;
  return patchOf({
    billing_provider: PROVIDER,
    stripe_customer_id: str(idOf(subscription.customer)),
    subscription_id: str(subscription.id),
    plan: str(planOf(subscription)),
    plan_interval: str(price.recurring.interval),
    plan_interval_count: int(price.recurring.interval_count),
    subscription_status: str(status),
    seats: int(seatsOf(subscription)),
    mrr: real(PAYING_STATUSES.has(status) ? monthlyRevenue(subscription) : 0),
    currency: str(subscription.currency),
    trial_ends_at: date(subscription.trial_end),
    // API 2025-03-31 and later: on the item; earlier: on the subscription.
    current_period_end: date(first.current_period_end ?? subscription.current_period_end),
    cancel_at_period_end: bool(subscription.cancel_at_period_end),
    canceled_at: date(subscription.canceled_at),
  });
}

export function customerPatch(customer: Customer): UserPatch {
  return patchOf(
    { billing_provider: PROVIDER, stripe_customer_id: str(customer.id), customer_since: date(customer.created), delinquent: bool(customer.delinquent) },
    customer,
  );
}

export function deletedCustomerPatch(customerId: string): UserPatch {
  return patchOf({ billing_provider: PROVIDER, stripe_customer_id: str(customerId), billing_status: str("deleted") });
}

/**
 * A paid invoice's properties. Only a payment above 0 is a payment: a $0 invoice (a trial's start,
 * a 100 % coupon) writes no `last_payment_*`, so it cannot hide the last real one.
 */
export function paymentPatch(invoice: Invoice, eventTime: string): UserPatch {
  const person = { email: invoice.customer_email, name: invoice.customer_name };
  if (invoice.amount_paid <= 0) return patchOf({ billing_provider: PROVIDER, stripe_customer_id: str(idOf(invoice.customer)) }, person);
  const paidAt = invoice.status_transitions.paid_at;
  return patchOf(
    {
      billing_provider: PROVIDER,
      stripe_customer_id: str(idOf(invoice.customer)),
      last_payment_at: paidAt == null ? dateIso(eventTime) : date(paidAt),
      last_payment_amount: real(toMajorUnits(invoice.amount_paid, invoice.currency)),
      currency: str(invoice.currency),
    },
    person,
  );
}

export function paymentFailedPatch(invoice: Invoice, eventTime: string): UserPatch {
  return patchOf(
    {
      billing_provider: PROVIDER,
      stripe_customer_id: str(idOf(invoice.customer)),
      payment_failed_at: dateIso(eventTime),
      payment_attempt_count: int(invoice.attempt_count),
    },
    { email: invoice.customer_email, name: invoice.customer_name },
  );
}

export function refundPatch(charge: Charge, eventTime: string): UserPatch {
  return patchOf({
    billing_provider: PROVIDER,
    stripe_customer_id: str(idOf(charge.customer)),
    last_refund_at: dateIso(eventTime),
    // The charge's refunded total: since API 2022-11-15 the event no longer embeds the refunds
    // list. https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand
    last_refund_amount: real(toMajorUnits(charge.amount_refunded, charge.currency)),
  });
}
