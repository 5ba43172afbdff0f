import type { Config } from "../../config";
import type { UserPatch } from "../../upsert";
import { PAYING_STATUSES, bool, dateIso, firstUid, fromMetadata, int, isoMajorUnits, patchOf, perMonth, real, str, type Typed } from "../billing";
import type { LifecycleFact } from "../../lifecycle";
import { cancellationScheduled, paymentSucceeded, refundIssued, subscriptionFacts, withEvents, type SubscriptionView } from "../lifecycle";
import type { Normalised, SourceEvent } from "../types";
import type { Customer, Order, PolarData, Subscription } from "./schema";

/** The families of properties Polar events write, each ordered per customer (see STRIPE_FAMILY). */
const FAMILY = { customer: "customer", subscription: "subscription", payment: "payment", refund: "refund" } as const;

const common = (customerId: string): Record<string, Typed> => ({ billing_provider: str("polar"), polar_customer_id: str(customerId) });

/**
 * The email and name of an individual customer. A team customer's are the team's billing contact
 * and name, not a person's, so they are not written on the user.
 */
const personOf = (customer: Customer) => (customer.type === "team" ? {} : { email: customer.email, name: customer.name });

/** The plan: the product's name, else its id. */
const planOf = (s: Subscription): string => s.product.name?.trim() || s.product.id;
/** Seats: `seats`, or 1 for a subscription not priced per seat (as Stripe counts one unit). */
const seatsOf = (s: Subscription): number => s.seats ?? 1;

/**
 * A subscription's properties in the vocabulary. Polar's statuses already are Stripe's. `plan` is
 * the product's name (Polar prices belong to one product, which carries the interval); `seats` is
 * 1 for a subscription not priced per seat, as Stripe counts one unit; MRR is `amount` per month,
 * in major units, 0 unless the subscription pays.
 */
function subscriptionPatch(s: Subscription, status: string): UserPatch {
  const currency = s.currency.toLowerCase();
  const monthly = monthlyRevenue(s);
  return patchOf(
    {
      ...common(s.customer_id),
      subscription_id: str(s.id),
      plan: str(planOf(s)),
      plan_interval: str(s.recurring_interval),
      plan_interval_count: int(s.recurring_interval_count),
      subscription_status: str(status),
      seats: int(seatsOf(s)),
      mrr: real(PAYING_STATUSES.has(status) ? monthly : 0),
      currency: str(currency),
      trial_ends_at: dateIso(s.trial_end),
      current_period_end: dateIso(s.current_period_end),
      cancel_at_period_end: bool(s.cancel_at_period_end),
      canceled_at: dateIso(s.canceled_at),
    },
    personOf(s.customer),
  );
}

/** `amount` per month, in major units. */
const monthlyRevenue = (s: Subscription): number => isoMajorUnits(perMonth(s.amount, s.recurring_interval, s.recurring_interval_count), s.currency);

/**
 * The subscription as lifecycle events compare it (functions/sources/lifecycle.ts), with `status`
 * as its patch writes it. A cancellation at the period's end takes effect at `ends_at`.
 */
function subscriptionView(s: Subscription, status: string): SubscriptionView {
  return {
    status,
    plan: planOf(s),
    monthlyValue: monthlyRevenue(s),
    currency: s.currency.toLowerCase(),
    interval: s.recurring_interval,
    seats: seatsOf(s),
    trialEndsAt: dateIso(s.trial_end),
    cancelAtPeriodEnd: s.cancel_at_period_end,
    cancelsAt: dateIso(s.ends_at ?? s.current_period_end),
  };
}

/** Statuses of a subscription that has ended (Polar's `revoked` ones). */
const ENDED: ReadonlySet<string> = new Set(["canceled", "unpaid"]);

/**
 * The lifecycle moments of a subscription event, by its type. Polar sends the subscription as it
 * is after the event, and which event it sends is decided by comparing it with its state before
 * (`_after_subscription_created`, `_after_subscription_updated`:
 * https://github.com/polarsource/polar/blob/main/server/polar/subscription/service.py).
 * https://polar.sh/docs/integrate/webhooks/events
 * - `subscription.created`: Trial Started (`trialing`) or Subscription Started (`active`).
 * - `subscription.active`: nothing. Polar sends it with `subscription.created` for the same start,
 *   and again when a past-due subscription's payment is recovered or a canceled one reinstated,
 *   which are no starts. A trial that converts stays "active" to Polar: no event says it.
 * - `subscription.canceled` while the subscription still runs to its period's end: Cancellation
 *   Scheduled. Polar also sends it with `subscription.revoked` when a subscription ends at once, and
 *   again when a scheduled one ends: that is the end, which `subscription.revoked` carries.
 * - `subscription.revoked`: Subscription Canceled, with what it brought in per month (0 when it
 *   ended in its trial).
 * - `subscription.updated` (a plan change among others), `subscription.uncanceled`: nothing.
 */
function subscriptionEvents(type: PolarData["type"], s: Subscription, status: string): LifecycleFact[] {
  const now = subscriptionView(s, status);
  switch (type) {
    case "subscription.created":
      return subscriptionFacts({ kind: "created", now });
    case "subscription.canceled":
      return s.cancel_at_period_end && !ENDED.has(status) ? [cancellationScheduled(now)] : [];
    case "subscription.revoked": {
      const end = s.ended_at ?? s.ends_at;
      const inTrial = s.trial_end != null && end != null && Date.parse(end) <= Date.parse(s.trial_end);
      return subscriptionFacts({ kind: "ended", now, previousMrr: inTrial ? 0 : monthlyRevenue(s) });
    }
    default:
      return [];
  }
}

/** A paid order: `last_payment_*` for a payment above 0 (a free order only says whose customer this is). */
function paymentPatch(order: Order, at: string): UserPatch {
  if (order.total_amount <= 0) return patchOf(common(order.customer_id), personOf(order.customer));
  return patchOf(
    {
      ...common(order.customer_id),
      last_payment_at: dateIso(at),
      last_payment_amount: real(isoMajorUnits(order.total_amount, order.currency)),
      currency: str(order.currency.toLowerCase()),
    },
    personOf(order.customer),
  );
}

/** The order's refunded total so far, tax included, in major units. */
const refundedTotal = (order: Order): number => isoMajorUnits(order.refunded_amount + order.refunded_tax_amount, order.currency);

/** A refunded order: the refunded total so far, tax included, as Stripe's `amount_refunded`. */
function refundPatch(order: Order, at: string): UserPatch {
  return patchOf(
    {
      ...common(order.customer_id),
      last_refund_at: dateIso(at),
      last_refund_amount: real(refundedTotal(order)),
    },
    personOf(order.customer),
  );
}

function customerPatch(customer: Customer): UserPatch {
  return patchOf({ ...common(customer.id), customer_since: dateIso(customer.created_at) }, personOf(customer));
}

/**
 * The uid: the customer's `external_id` (the team's own id, set at checkout), then the first of
 * the object's `metadata[k]` and the customer's `metadata[k]` for each key k of POLAR_UID_METADATA_KEYS.
 */
function uidOf(customer: Customer, metadata: Subscription["metadata"], keys: readonly string[]): string | undefined {
  return firstUid([customer.external_id, ...fromMetadata(metadata, keys), ...fromMetadata(customer.metadata, keys)]);
}

/**
 * Turns a parsed Polar event into what it says of a Fullstory user, in the billing vocabulary. The
 * subject is the Polar customer id, which the identity directory resolves when no uid is found and
 * learns when one is. Each customer's events are ordered per family by the event's `timestamp`.
 * Lifecycle events: the subscription moments its event type names (subscriptionEvents), Payment
 * Succeeded for a paid order above 0, Refund Issued for a refunded one; Polar sends no failed-payment
 * event the bridge maps. Pure.
 */
export function normalisePolar(event: SourceEvent<PolarData>, config: Config): Normalised {
  const keys = config.polarUidMetadataKeys;
  const at = Date.parse(event.occurredAt);
  const mapped = (customer: Customer, uid: string | undefined, patch: UserPatch, family: string | undefined, events: LifecycleFact[] = []): Normalised => ({
    kind: "mapped",
    mapped: {
      ...(uid === undefined ? {} : { uid }),
      subject: customer.id,
      patch,
      ...(family === undefined ? {} : { order: { key: `${family}:${customer.id}`, at } }),
      ...withEvents(events),
    },
  });
  const { data } = event;
  switch (data.type) {
    case "customer.created":
    case "customer.updated":
      return mapped(data.data, uidOf(data.data, undefined, keys), customerPatch(data.data), FAMILY.customer);
    case "order.paid": {
      const order = data.data;
      const family = order.total_amount > 0 ? FAMILY.payment : undefined;
      // Polar sends order.created and order.updated too, but only order.paid is mapped: one
      // payment, one event. https://polar.sh/docs/integrate/webhooks/events
      const paid = paymentSucceeded(isoMajorUnits(order.total_amount, order.currency), order.currency.toLowerCase());
      return mapped(order.customer, uidOf(order.customer, order.metadata, keys), paymentPatch(order, event.occurredAt), family, paid);
    }
    case "order.refunded": {
      const order = data.data;
      // Sent once per refund, with the order's refunded total so far (`Order.update_refunds`,
      // https://github.com/polarsource/polar/blob/main/server/polar/models/order.py): for a second
      // partial refund of one order, that total.
      const refunded = refundIssued(refundedTotal(order), order.currency.toLowerCase());
      return mapped(order.customer, uidOf(order.customer, order.metadata, keys), refundPatch(order, event.occurredAt), FAMILY.refund, [refunded]);
    }
    default: {
      const subscription = data.data;
      // A revoked subscription has ended at once, whatever the snapshot still says.
      const status = data.type === "subscription.revoked" ? "canceled" : subscription.status;
      const events = subscriptionEvents(data.type, subscription, status);
      return mapped(subscription.customer, uidOf(subscription.customer, subscription.metadata, keys), subscriptionPatch(subscription, status), FAMILY.subscription, events);
    }
  }
}
