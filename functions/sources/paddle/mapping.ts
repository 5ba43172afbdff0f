import type { UserPatch } from "../../upsert";
import { PAYING_STATUSES, bool, dateIso, int, isoMajorUnits, patchOf, perMonth, real, str, type Typed } from "../billing";
import type { SubscriptionView } from "../lifecycle";
import type { Adjustment, Customer, Subscription, Transaction } from "./schema";

/**
 * From Paddle Billing entities to the billing vocabulary (DESIGN.md, "Billing vocabulary"): the
 * same names, types and meanings as the Stripe mapping. Every patch says `billing_provider` =
 * `paddle` and carries the customer id as `paddle_customer_id`.
 */

const PROVIDER = { billing_provider: str("paddle") };

/** An amount in the lowest denomination (Paddle's digit string) in major units of `currency`. */
const money = (amount: string, currency: string): number => isoMajorUnits(Number(amount), currency);

type Item = Subscription["items"][number];

/** Items billed every period; one-time charges added to a subscription are not part of its plan or MRR. */
const recurringItems = (subscription: Subscription): Item[] => subscription.items.filter((item) => item.recurring !== false);

/**
 * The plan: the first recurring item's product name, which the team chose (Paddle's ids are
 * generated, `pro_01h…`), else the product id, else the price id.
 */
function planOf(subscription: Subscription): string {
  const recurring = recurringItems(subscription);
  const item = (recurring[0] ?? subscription.items[0]) as Item;
  return item.product?.name?.trim() || item.price.product_id || item.price.id;
}

/**
 * MRR in major units: each recurring item's unit price × quantity per its billing cycle (the
 * subscription's when the price has none), brought to one month. Undefined (not written) when a
 * price is in another currency than the subscription: the customer then pays a per-country
 * override the payload does not say which of. Discounts are not counted, as for Stripe.
 * https://developer.paddle.com/api-reference/prices/overview
 */
export function monthlyRevenue(subscription: Subscription): number | undefined {
  const currency = subscription.currency_code.toUpperCase();
  let minor = 0;
  for (const item of recurringItems(subscription)) {
    if (item.price.unit_price.currency_code.toUpperCase() !== currency) return undefined;
    const cycle = item.price.billing_cycle ?? subscription.billing_cycle;
    minor += perMonth(Number(item.price.unit_price.amount) * item.quantity, cycle.interval, cycle.frequency);
  }
  return isoMajorUnits(minor, currency);
}

/** Seats: the recurring items' quantities. */
const seatsOf = (subscription: Subscription): number => recurringItems(subscription).reduce((sum, item) => sum + item.quantity, 0);

/** The latest trial end among the items (Paddle keeps a trial per item). */
function trialEnd(subscription: Subscription): string | undefined {
  const ends = subscription.items.flatMap((item) => (item.trial_dates?.ends_at ? [item.trial_dates.ends_at] : []));
  return ends.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
}

/**
 * A subscription's properties. Paddle's statuses are already the vocabulary's (`active`,
 * `trialing`, `past_due`, `paused`, `canceled`); a scheduled cancellation (`scheduled_change.action`
 * = `cancel`) is `cancel_at_period_end`.
 */
export function subscriptionPatch(subscription: Subscription): UserPatch {
  const paying = PAYING_STATUSES.has(subscription.status);
  const mrr: Typed = paying ? real(monthlyRevenue(subscription)) : real(0);
  return patchOf({
    ...PROVIDER,
    paddle_customer_id: str(subscription.customer_id),
    subscription_id: str(subscription.id),
    plan: str(planOf(subscription)),
    plan_interval: str(subscription.billing_cycle.interval),
    plan_interval_count: int(subscription.billing_cycle.frequency),
    subscription_status: str(subscription.status),
    seats: int(seatsOf(subscription)),
    mrr,
    currency: str(subscription.currency_code.toLowerCase()),
    trial_ends_at: dateIso(trialEnd(subscription)),
    current_period_end: dateIso(subscription.current_billing_period?.ends_at),
    cancel_at_period_end: bool(subscription.scheduled_change?.action === "cancel"),
    canceled_at: dateIso(subscription.canceled_at),
  });
}

/**
 * The subscription as lifecycle events compare it (functions/sources/lifecycle.ts), from the same
 * plan, MRR and status as its patch. A scheduled cancellation takes effect at its `effective_at`.
 */
export function subscriptionView(subscription: Subscription): SubscriptionView {
  const cancel = subscription.scheduled_change?.action === "cancel" ? subscription.scheduled_change : undefined;
  return {
    status: subscription.status,
    plan: planOf(subscription),
    monthlyValue: monthlyRevenue(subscription),
    currency: subscription.currency_code.toLowerCase(),
    interval: subscription.billing_cycle.interval,
    seats: seatsOf(subscription),
    trialEndsAt: dateIso(trialEnd(subscription)),
    cancelAtPeriodEnd: cancel !== undefined,
    cancelsAt: dateIso(cancel ? cancel.effective_at : subscription.current_billing_period?.ends_at),
  };
}

/**
 * Whether the subscription is in the first period Paddle billed: created without a trial, or just
 * out of its trial. A subscription that resumed after a pause, or recovered from past due, was
 * first billed in an earlier period.
 */
export function inFirstBilledPeriod(subscription: Subscription): boolean {
  const first = subscription.first_billed_at;
  const start = subscription.current_billing_period?.starts_at;
  return first != null && start != null && Date.parse(first) >= Date.parse(start);
}

/** What an ended subscription brought in per month: 0 when Paddle never billed it (it ended in its trial). */
export const endedMonthlyRevenue = (subscription: Subscription): number | undefined =>
  subscription.first_billed_at == null ? 0 : monthlyRevenue(subscription);

export function customerPatch(customer: Customer): UserPatch {
  return patchOf({ ...PROVIDER, paddle_customer_id: str(customer.id), customer_since: dateIso(customer.created_at) }, customer);
}

/** True when a completed transaction took money: a $0 one (a trial's start, a 100 % discount) is not a payment. */
export const isPayment = (transaction: Transaction): boolean => Number(transaction.details.totals.grand_total) > 0;

/** What a transaction comes to (`grand_total`, credits applied) in major units, with its currency in lower case. */
export function transactionTotal(transaction: Transaction): { amount: number; currency: string } {
  const { grand_total: total, currency_code: currency } = transaction.details.totals;
  return { amount: money(total, currency), currency: currency.toLowerCase() };
}

/** The payment attempts of a transaction (Paddle lists each one), at least the one that failed. */
export const attemptCount = (transaction: Transaction): number => Math.max(1, transaction.payments.length);

/** An adjustment's amount (this refund's) in major units, with its currency in lower case. */
export function adjustmentTotal(adjustment: Adjustment): { amount: number; currency: string } {
  return { amount: money(adjustment.totals.total, adjustment.totals.currency_code), currency: adjustment.totals.currency_code.toLowerCase() };
}

/**
 * A completed transaction's properties: what the customer paid (`grand_total`, credits applied)
 * and when the payment was captured (the event's time when no attempt says so). A $0 transaction
 * writes no `last_payment_*`, so it cannot hide the last real payment.
 */
export function paymentPatch(transaction: Transaction, eventTime: string): UserPatch {
  const base = { ...PROVIDER, paddle_customer_id: str(transaction.customer_id) };
  if (!isPayment(transaction)) return patchOf(base);
  const captured = transaction.payments.find((payment) => payment.status === "captured" && payment.captured_at)?.captured_at;
  const { amount, currency } = transactionTotal(transaction);
  return patchOf({
    ...base,
    last_payment_at: dateIso(captured ?? eventTime),
    last_payment_amount: real(amount),
    currency: str(currency),
  });
}

/** A failed payment: when, and how many attempts the transaction has had (Paddle lists each one). */
export function paymentFailedPatch(transaction: Transaction, eventTime: string): UserPatch {
  return patchOf({
    ...PROVIDER,
    paddle_customer_id: str(transaction.customer_id),
    payment_failed_at: dateIso(eventTime),
    payment_attempt_count: int(attemptCount(transaction)),
  });
}

/** An approved refund: when it was approved, and its amount (this refund's, not a running total). */
export function refundPatch(adjustment: Adjustment, eventTime: string): UserPatch {
  return patchOf({
    ...PROVIDER,
    paddle_customer_id: str(adjustment.customer_id),
    last_refund_at: dateIso(eventTime),
    last_refund_amount: real(adjustmentTotal(adjustment).amount),
  });
}
