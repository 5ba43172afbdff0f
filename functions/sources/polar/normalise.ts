import type { Config } from "../../config";
import type { UserPatch } from "../../upsert";
import { PAYING_STATUSES, bool, dateIso, firstUid, fromMetadata, int, isoMajorUnits, patchOf, perMonth, real, str, type Typed } from "../billing";
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

/**
 * A subscription's properties in the vocabulary. Polar's statuses already are Stripe's. `plan` is
 * the product's name (Polar prices belong to one product, which carries the interval); `seats` is
 * 1 for a subscription not priced per seat, as Stripe counts one unit; MRR is `amount` per month,
 * in major units, 0 unless the subscription pays.
 */
function subscriptionPatch(s: Subscription, status: string): UserPatch {
  const currency = s.currency.toLowerCase();
  const monthly = isoMajorUnits(perMonth(s.amount, s.recurring_interval, s.recurring_interval_count), currency);
  return patchOf(
    {
      ...common(s.customer_id),
      subscription_id: str(s.id),
      plan: str(s.product.name?.trim() || s.product.id),
      plan_interval: str(s.recurring_interval),
      plan_interval_count: int(s.recurring_interval_count),
      subscription_status: str(status),
      seats: int(s.seats ?? 1),
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

/** A refunded order: the refunded total so far, tax included, as Stripe's `amount_refunded`. */
function refundPatch(order: Order, at: string): UserPatch {
  return patchOf(
    {
      ...common(order.customer_id),
      last_refund_at: dateIso(at),
      last_refund_amount: real(isoMajorUnits(order.refunded_amount + order.refunded_tax_amount, order.currency)),
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
 * Pure.
 */
export function normalisePolar(event: SourceEvent<PolarData>, config: Config): Normalised {
  const keys = config.polarUidMetadataKeys;
  const at = Date.parse(event.occurredAt);
  const mapped = (customer: Customer, uid: string | undefined, patch: UserPatch, family: string | undefined): Normalised => ({
    kind: "mapped",
    mapped: {
      ...(uid === undefined ? {} : { uid }),
      subject: customer.id,
      patch,
      ...(family === undefined ? {} : { order: { key: `${family}:${customer.id}`, at } }),
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
      return mapped(order.customer, uidOf(order.customer, order.metadata, keys), paymentPatch(order, event.occurredAt), family);
    }
    case "order.refunded": {
      const order = data.data;
      return mapped(order.customer, uidOf(order.customer, order.metadata, keys), refundPatch(order, event.occurredAt), FAMILY.refund);
    }
    default: {
      const subscription = data.data;
      // A revoked subscription has ended at once, whatever the snapshot still says.
      const status = data.type === "subscription.revoked" ? "canceled" : subscription.status;
      return mapped(subscription.customer, uidOf(subscription.customer, subscription.metadata, keys), subscriptionPatch(subscription, status), FAMILY.subscription);
    }
  }
}
