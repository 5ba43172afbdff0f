import type { Config } from "../../config";
import type { UserPatch } from "../../upsert";
import { PAYING_STATUSES, bool, dateIso, firstUid, fromMetadata, int, isoMajorUnits, patchOf, real, str, type Typed } from "../billing";
import type { LifecycleFact } from "../../lifecycle";
import {
  cancellationScheduled,
  paymentFailed,
  paymentSucceeded,
  refundIssued,
  subscriptionFacts,
  withEvents,
  type SubscriptionView,
} from "../lifecycle";
import type { Normalised, SourceEvent } from "../types";
import type { LemonSqueezyData, Meta, Order, Subscription, SubscriptionInvoice } from "./schema";

/**
 * Lemon Squeezy's subscription statuses in the vocabulary's (Stripe's) words. `cancelled` is a
 * subscription that still runs until `ends_at` (a grace period; it can be resumed), so it is active,
 * with cancel_at_period_end; `expired` is one that has ended. A status not listed here passes
 * through as Lemon Squeezy wrote it.
 * https://docs.lemonsqueezy.com/api/subscriptions/the-subscription-object
 */
const STATUS: Readonly<Record<string, string>> = {
  on_trial: "trialing",
  active: "active",
  paused: "paused",
  past_due: "past_due",
  unpaid: "unpaid",
  cancelled: "active",
  expired: "canceled",
};

/** The name Lemon Squeezy gives a product's only variant, which says nothing of the plan. */
const DEFAULT_VARIANT = "Default";

/** The families of properties Lemon Squeezy events write, each ordered per customer (see STRIPE_FAMILY). */
const FAMILY = { subscription: "subscription", payment: "payment", paymentFailed: "payment_failed", refund: "refund" } as const;

const common = (customerId: number): Record<string, Typed> => ({
  billing_provider: str("lemonsqueezy"),
  lemonsqueezy_customer_id: str(String(customerId)),
});

/** The product's name, with the variant's when the product has several ("Pro (Yearly)"). */
function planOf(subscription: Subscription): string | undefined {
  const product = subscription.product_name?.trim();
  const variant = subscription.variant_name?.trim();
  if (!product) return variant || undefined;
  return variant && variant !== DEFAULT_VARIANT ? `${product} (${variant})` : product;
}

/**
 * A subscription's properties. The subscription carries no price, interval or currency, so `mrr`,
 * `plan_interval` and `currency` are not written while it pays (0 would be a wrong MRR, and would
 * overwrite a right one); in a status that brings in nothing, MRR is known to be 0 and is written.
 */
function subscriptionPatch(id: string, s: Subscription): UserPatch {
  const status = STATUS[s.status] ?? s.status;
  return patchOf(
    {
      ...common(s.customer_id),
      subscription_id: str(id),
      plan: str(planOf(s)),
      subscription_status: str(status),
      seats: int(s.first_subscription_item?.quantity),
      mrr: PAYING_STATUSES.has(status) ? undefined : real(0),
      trial_ends_at: dateIso(s.trial_ends_at),
      // A cancelled or expired subscription ends (or ended) at `ends_at`; any other renews at `renews_at`.
      current_period_end: dateIso(s.ends_at ?? s.renews_at),
      cancel_at_period_end: bool(s.cancelled || s.status === "cancelled"),
    },
    { email: s.user_email, name: s.user_name },
  );
}

/**
 * The subscription as lifecycle events compare it (functions/sources/lifecycle.ts), from the same
 * plan and status as its patch. It carries no price, interval or currency: those are left out.
 */
function subscriptionView(s: Subscription): SubscriptionView {
  return {
    status: STATUS[s.status] ?? s.status,
    plan: planOf(s),
    seats: s.first_subscription_item?.quantity,
    trialEndsAt: dateIso(s.trial_ends_at),
    cancelAtPeriodEnd: s.cancelled || s.status === "cancelled",
    cancelsAt: dateIso(s.ends_at ?? s.renews_at),
  };
}

/**
 * The lifecycle moments of a subscription event, by its name: Lemon Squeezy sends the subscription
 * as it is, with no previous state, and `subscription_updated` beside every other change, so only
 * the names that say what happened yield one. https://docs.lemonsqueezy.com/help/webhooks/event-types
 * - `subscription_created`: Trial Started (`on_trial`) or Subscription Started (`active`).
 * - `subscription_cancelled`: a cancellation at the period's end (the subscription runs until
 *   `ends_at` and can be resumed): Subscription Cancellation Scheduled.
 * - `subscription_expired`: the end, Subscription Canceled. What it brought in is known only when it
 *   ended in its trial (0): the subscription carries no price.
 * - `subscription_updated`, `_resumed`, `_paused`, `_unpaused`: nothing; a plan change or a trial
 *   that converts arrives as a `subscription_updated` that cannot tell it.
 */
function subscriptionEvents(name: LemonSqueezyData["name"], s: Subscription): LifecycleFact[] {
  const now = subscriptionView(s);
  switch (name) {
    case "subscription_created":
      return subscriptionFacts({ kind: "created", now });
    case "subscription_cancelled":
      return [cancellationScheduled(now)];
    case "subscription_expired": {
      const inTrial = s.trial_ends_at != null && s.ends_at != null && Date.parse(s.ends_at) <= Date.parse(s.trial_ends_at);
      return subscriptionFacts({ kind: "ended", now, ...(inTrial ? { previousMrr: 0 } : {}) });
    }
    default:
      return [];
  }
}

/**
 * The lifecycle moments of an invoice or order event. A new subscription's first payment comes as
 * an `order_created` (always sent with `subscription_created`) and as a `subscription_payment_success`
 * whose `billing_reason` is `initial`: the order's is the one Payment Succeeded, so one payment is one
 * event. A refund's amount is the invoice's `refunded_amount` (for a second partial refund of one
 * invoice, the total so far: the payload says nothing of the first).
 * https://docs.lemonsqueezy.com/help/webhooks/event-types
 * https://docs.lemonsqueezy.com/api/subscription-invoices/the-subscription-invoice-object
 */
function paymentEvents(data: Exclude<LemonSqueezyData, { kind: "subscription" }>): LifecycleFact[] {
  if (data.kind === "order") {
    const order = data.attributes;
    return paymentSucceeded(isoMajorUnits(paidTotal(order), order.currency), order.currency.toLowerCase());
  }
  const invoice = data.attributes;
  const currency = invoice.currency.toLowerCase();
  switch (data.name) {
    case "subscription_payment_failed":
      // Lemon Squeezy does not say which retry failed: no attempt count.
      return [paymentFailed(isoMajorUnits(invoice.total, invoice.currency), currency, undefined)];
    case "subscription_payment_refunded":
      return [refundIssued(invoice.refunded_amount === undefined ? undefined : isoMajorUnits(invoice.refunded_amount, invoice.currency), currency)];
    default:
      return invoice.billing_reason === "initial" ? [] : paymentSucceeded(isoMajorUnits(invoice.total, invoice.currency), currency);
  }
}

/** A payment above 0 writes `last_payment_*`; anything else only says whose customer this is. */
function paymentPatch(total: number, currency: string, at: string, o: SubscriptionInvoice | Order): UserPatch {
  const person = { email: o.user_email, name: o.user_name };
  if (total <= 0) return patchOf(common(o.customer_id), person);
  return patchOf(
    {
      ...common(o.customer_id),
      last_payment_at: dateIso(at),
      last_payment_amount: real(isoMajorUnits(total, currency)),
      currency: str(currency.toLowerCase()),
    },
    person,
  );
}

function invoicePatch(name: string, invoice: SubscriptionInvoice, at: string): UserPatch {
  const person = { email: invoice.user_email, name: invoice.user_name };
  if (name === "subscription_payment_failed") {
    // Lemon Squeezy does not say which retry failed: payment_attempt_count is not written.
    return patchOf({ ...common(invoice.customer_id), payment_failed_at: dateIso(at) }, person);
  }
  if (name === "subscription_payment_refunded") {
    const amount = invoice.refunded_amount;
    return patchOf(
      {
        ...common(invoice.customer_id),
        last_refund_at: dateIso(invoice.refunded_at ?? at),
        last_refund_amount: amount === undefined ? undefined : real(isoMajorUnits(amount, invoice.currency)),
      },
      person,
    );
  }
  return paymentPatch(invoice.total, invoice.currency, at, invoice);
}

/** A paid order's total: pending, failed or fraudulent orders took no money. */
const paidTotal = (order: Order): number => (order.status === "paid" ? order.total : 0);

function patchFor(data: LemonSqueezyData, at: string): UserPatch {
  switch (data.kind) {
    case "subscription":
      return subscriptionPatch(data.id, data.attributes);
    case "invoice":
      return invoicePatch(data.name, data.attributes, at);
    case "order":
      return paymentPatch(paidTotal(data.attributes), data.attributes.currency, at, data.attributes);
  }
}

/** Which family an event writes (undefined: none that needs ordering, as a payment of 0 writes no `last_payment_*`). */
function familyOf(data: LemonSqueezyData): string | undefined {
  switch (data.kind) {
    case "subscription":
      return FAMILY.subscription;
    case "order":
      return paidTotal(data.attributes) > 0 ? FAMILY.payment : undefined;
    case "invoice":
      if (data.name === "subscription_payment_failed") return FAMILY.paymentFailed;
      if (data.name === "subscription_payment_refunded") return FAMILY.refund;
      return data.attributes.total > 0 ? FAMILY.payment : undefined;
  }
}

/**
 * The checkout's custom data with whole numbers as their decimal text: a checkout created through
 * the API takes any JSON (Lemon Squeezy's own example passes `"user_id": 123`), and a numeric user
 * id is as good a uid as a string one. https://docs.lemonsqueezy.com/help/checkout/passing-custom-data
 */
function customData(data: Meta["custom_data"]): Record<string, unknown> | undefined {
  if (!data) return undefined;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Number.isSafeInteger(value) ? String(value) : value]));
}

/**
 * Turns a parsed Lemon Squeezy event into what it says of a Fullstory user, in the billing
 * vocabulary. The uid is the first of `meta.custom_data[k]` (text, or a whole number) for each key k
 * of LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS; the subject is the Lemon Squeezy customer id, which the
 * identity directory resolves when the checkout carried no uid. Each customer's events are ordered
 * per family by the object's `updated_at`. Lifecycle events: the moments each event's name says
 * (subscriptionEvents, paymentEvents). Pure.
 */
export function normaliseLemonSqueezy(event: SourceEvent<LemonSqueezyData>, config: Config): Normalised {
  const { data } = event;
  const customer = String(data.attributes.customer_id);
  const uid = firstUid(fromMetadata(customData(data.meta.custom_data), config.lemonsqueezyUidCustomDataKeys));
  const family = familyOf(data);
  return {
    kind: "mapped",
    mapped: {
      ...(uid === undefined ? {} : { uid }),
      subject: customer,
      patch: patchFor(data, event.occurredAt),
      ...(family === undefined ? {} : { order: { key: `${family}:${customer}`, at: Date.parse(event.occurredAt) } }),
      ...withEvents(data.kind === "subscription" ? subscriptionEvents(data.name, data.attributes) : paymentEvents(data)),
    },
  };
}
