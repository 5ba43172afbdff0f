import type { UserPatch } from "../../upsert";
import { PAYING_STATUSES, bool, date, dateIso, int, isoMajorUnits, patchOf, perMonth, real, str, type Typed } from "../billing";
import type { SubscriptionView } from "../lifecycle";
import type { Customer, Subscription, Transaction } from "./schema";

/**
 * From Chargebee objects to the billing vocabulary (DESIGN.md, "Billing vocabulary"): the same
 * names, types and meanings as the Stripe mapping. Every patch says `billing_provider` =
 * `chargebee` and carries the customer id as `chargebee_customer_id`; the customer in the event's
 * content, when there is one, gives the email and display name.
 */

const PROVIDER = { billing_provider: str("chargebee") };

/**
 * Chargebee's statuses in the vocabulary's (Stripe's) words. `non_renewing` is an active
 * subscription set to cancel at the end of its term; `future` has not started yet, which Stripe's
 * `incomplete` (exists, not yet paying) comes closest to. Chargebee has no past-due status: an
 * unpaid subscription stays `active` while dunning runs, and its failures are
 * `payment_failed_at` and `payment_attempt_count`.
 * https://apidocs.chargebee.com/docs/api/subscriptions/subscription-object#status
 */
export const STATUS: Readonly<Record<Subscription["status"], string>> = {
  future: "incomplete",
  in_trial: "trialing",
  active: "active",
  non_renewing: "active",
  paused: "paused",
  cancelled: "canceled",
};

/** A person from a Chargebee customer: the email, and first and last name joined. */
export function personOf(customer: Customer | null | undefined): { email?: string | null; name?: string } {
  if (!customer) return {};
  const name = [customer.first_name, customer.last_name].map((part) => part?.trim() ?? "").filter((part) => part.length > 0).join(" ");
  return { email: customer.email, ...(name ? { name } : {}) };
}

type Item = NonNullable<Subscription["subscription_items"]>[number];

/** Plans and addons are billed every term; `charge` items are one-time. */
const recurringItems = (subscription: Subscription): Item[] =>
  (subscription.subscription_items ?? []).filter((item) => item.item_type === "plan" || item.item_type === "addon");

/** The plan: the plan item's item price id (Product Catalog 2.0), else the `plan_id` (1.0). */
function planOf(subscription: Subscription): string | undefined {
  return (subscription.subscription_items ?? []).find((item) => item.item_type === "plan")?.item_price_id ?? subscription.plan_id ?? undefined;
}

/** Seats: the quantities of plans and addons (1.0: the plan's quantity and the addons'). */
function seatsOf(subscription: Subscription): number | undefined {
  if (subscription.subscription_items) return recurringItems(subscription).reduce((sum, item) => sum + (item.quantity ?? 0), 0);
  if (subscription.plan_quantity == null) return undefined;
  return subscription.plan_quantity + (subscription.addons ?? []).reduce((sum, addon) => sum + (addon.quantity ?? 0), 0);
}

/**
 * MRR in major units: Chargebee's own `mrr` (in the lowest unit) when the payload has it, else
 * each plan and addon item's amount per its billing period, brought to one month. Undefined (not
 * written) when neither can be had: a Product Catalog 1.0 subscription without `mrr`, or an item
 * without an amount or a period.
 */
export function monthlyRevenue(subscription: Subscription): number | undefined {
  if (subscription.mrr != null) return isoMajorUnits(subscription.mrr, subscription.currency_code);
  return itemsMonthlyRevenue(subscription);
}

/** The plan and addon items' amounts per their billing periods, brought to one month, in major units (undefined when one lacks them). */
function itemsMonthlyRevenue(subscription: Subscription): number | undefined {
  if (!subscription.subscription_items) return undefined;
  let minor = 0;
  for (const item of recurringItems(subscription)) {
    const amount = item.amount ?? (item.unit_price != null ? item.unit_price * (item.quantity ?? 1) : undefined);
    const unit = item.billing_period_unit ?? subscription.billing_period_unit;
    const count = item.billing_period ?? subscription.billing_period;
    if (amount == null || unit == null || count == null) return undefined;
    minor += perMonth(amount, unit, count);
  }
  return isoMajorUnits(minor, subscription.currency_code);
}

/**
 * What a cancelled subscription brought in per month: 0 when it ended in its trial; else its
 * items' amounts, which it keeps; else its own `mrr` when above 0 (a cancelled subscription's
 * `mrr` may already be 0, which says nothing of what it brought in). Undefined when none says.
 */
export function endedMonthlyRevenue(subscription: Subscription): number | undefined {
  const { trial_end: trialEnd, cancelled_at: cancelledAt } = subscription;
  if (trialEnd != null && cancelledAt != null && cancelledAt <= trialEnd) return 0;
  const items = itemsMonthlyRevenue(subscription);
  if (items !== undefined) return items;
  return subscription.mrr ? isoMajorUnits(subscription.mrr, subscription.currency_code) : undefined;
}

/**
 * When the subscription was cancelled, as Stripe's `canceled_at` means it: the cancellation itself,
 * or, for one set to cancel at the end of its term, when that was asked for (Chargebee's own
 * `cancelled_at` is then the future end of the term).
 */
function canceledAt(subscription: Subscription): number | null | undefined {
  if (subscription.status === "cancelled") return subscription.cancelled_at;
  if (subscription.status === "non_renewing") return subscription.cancel_schedule_created_at;
  return undefined;
}

export function subscriptionPatch(subscription: Subscription, customer: Customer | null | undefined): UserPatch {
  const status = STATUS[subscription.status];
  const mrr: Typed = PAYING_STATUSES.has(status) ? real(monthlyRevenue(subscription)) : real(0);
  return patchOf(
    {
      ...PROVIDER,
      chargebee_customer_id: str(subscription.customer_id),
      subscription_id: str(subscription.id),
      plan: str(planOf(subscription)),
      plan_interval: str(subscription.billing_period_unit),
      plan_interval_count: int(subscription.billing_period),
      subscription_status: str(status),
      seats: int(seatsOf(subscription)),
      mrr,
      currency: str(subscription.currency_code.toLowerCase()),
      trial_ends_at: date(subscription.trial_end),
      current_period_end: date(subscription.current_term_end),
      cancel_at_period_end: bool(subscription.status === "non_renewing"),
      canceled_at: date(canceledAt(subscription)),
    },
    personOf(customer),
  );
}

/**
 * The subscription as lifecycle events compare it (functions/sources/lifecycle.ts), from the same
 * plan, MRR and status as its patch. A `non_renewing` subscription ends at its `cancelled_at`.
 */
export function subscriptionView(subscription: Subscription): SubscriptionView {
  return {
    status: STATUS[subscription.status],
    plan: planOf(subscription),
    monthlyValue: monthlyRevenue(subscription),
    currency: subscription.currency_code.toLowerCase(),
    interval: subscription.billing_period_unit ?? undefined,
    seats: seatsOf(subscription),
    trialEndsAt: date(subscription.trial_end),
    cancelAtPeriodEnd: subscription.status === "non_renewing",
    cancelsAt: date(subscription.cancelled_at ?? subscription.current_term_end),
  };
}

export function customerPatch(customer: Customer): UserPatch {
  return patchOf({ ...PROVIDER, chargebee_customer_id: str(customer.id), customer_since: date(customer.created_at) }, personOf(customer));
}

/** True when a successful payment took money (a $0 one is not a payment, as for Stripe). */
export const isPayment = (transaction: Transaction): boolean => (transaction.amount ?? 0) > 0;

/** A transaction's amount (a payment's, a failed attempt's or a refund's own) in major units, with its currency in lower case. */
export function transactionAmount(transaction: Transaction): { amount: number; currency: string } {
  return { amount: isoMajorUnits(transaction.amount ?? 0, transaction.currency_code), currency: transaction.currency_code.toLowerCase() };
}

/** A successful payment: when (the transaction's date, else the event's) and how much. */
export function paymentPatch(transaction: Transaction, customer: Customer | null | undefined, eventTime: string): UserPatch {
  const base = { ...PROVIDER, chargebee_customer_id: str(transaction.customer_id ?? customer?.id) };
  if (!isPayment(transaction)) return patchOf(base, personOf(customer));
  const { amount, currency } = transactionAmount(transaction);
  return patchOf(
    {
      ...base,
      last_payment_at: transaction.date == null ? dateIso(eventTime) : date(transaction.date),
      last_payment_amount: real(amount),
      currency: str(currency),
    },
    personOf(customer),
  );
}

/** A failed payment: when, and how many attempts the invoice has had (its dunning attempts, at least this one). */
export function paymentFailedPatch(transaction: Transaction, customer: Customer | null | undefined, attempts: number, eventTime: string): UserPatch {
  return patchOf(
    {
      ...PROVIDER,
      chargebee_customer_id: str(transaction.customer_id ?? customer?.id),
      payment_failed_at: dateIso(eventTime),
      payment_attempt_count: int(Math.max(1, attempts)),
    },
    personOf(customer),
  );
}

/** A refund: when, and its amount (the refund transaction's, not a running total). */
export function refundPatch(transaction: Transaction, customer: Customer | null | undefined, eventTime: string): UserPatch {
  return patchOf(
    {
      ...PROVIDER,
      chargebee_customer_id: str(transaction.customer_id ?? customer?.id),
      last_refund_at: dateIso(eventTime),
      last_refund_amount: real(transactionAmount(transaction).amount),
    },
    personOf(customer),
  );
}
