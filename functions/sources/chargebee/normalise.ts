import type { ChargebeeUidField, Config } from "../../config";
import { firstUid, fromMetadata } from "../billing";
import type { LifecycleFact } from "../../lifecycle";
import { cancellationScheduled, paymentFailed, paymentSucceeded, refundIssued, subscriptionFacts, subscriptionStarted, withEvents } from "../lifecycle";
import type { EventOrder, Normalised, SourceEvent } from "../types";
import {
  customerPatch,
  endedMonthlyRevenue,
  isPayment,
  paymentFailedPatch,
  paymentPatch,
  refundPatch,
  subscriptionPatch,
  subscriptionView,
  transactionAmount,
} from "./mapping";
import type { ChargebeeData, Customer, Subscription } from "./schema";

/**
 * The families of properties Chargebee events write, each the stale-event guard's key for one
 * customer, as for Stripe (functions/sources/stripe/normalise.ts, STRIPE_FAMILY).
 */
export const CHARGEBEE_FAMILY = {
  customer: "customer",
  subscription: "subscription",
  payment: "payment",
  paymentFailed: "payment_failed",
  refund: "refund",
} as const;

/**
 * The uid the customer names under CHARGEBEE_UID_FIELD: its `id` (many apps create Chargebee
 * customers with their own user id), or a string in its `meta_data` under the configured key.
 * With `id`, the customer id alone is enough, so events whose content has no customer object
 * still name it.
 */
function uidOf(field: ChargebeeUidField, customerId: string | null | undefined, customer: Customer | null | undefined): string | undefined {
  if (field.kind === "id") return firstUid([customer?.id ?? customerId]);
  return firstUid(fromMetadata(customer?.meta_data, [field.key]));
}

/**
 * Ordering by the object's `resource_version`: Chargebee delivers out of order and retries for
 * days, and gives each object a version (milliseconds, raised on every change) for exactly that.
 * An object without one is not ordered. https://apidocs.chargebee.com/docs/api/events#handling-webhooks
 */
const orderOf = (family: string, customerId: string, version: number | null | undefined): { order?: EventOrder } =>
  version == null ? {} : { order: { key: `${family}:${customerId}`, at: version } };

/**
 * Turns a parsed Chargebee event into what it says of a Fullstory user. The subject is the
 * Chargebee customer id: the identity directory learns its uid from every event whose customer
 * names one, and resolves the others. The content's customer gives the email and name.
 * Lifecycle events: the subscription moments its event type names (subscriptionEvents), Payment
 * Succeeded above 0, Payment Failed and Refund Issued, each for its transaction. Pure.
 */
export function normaliseChargebee(event: SourceEvent<ChargebeeData>, config: Config): Normalised {
  const field = config.chargebeeUidField;
  const { data } = event;
  switch (data.type) {
    case "subscription_created":
    case "subscription_activated":
    case "subscription_changed":
    case "subscription_renewed":
    case "subscription_cancelled":
    case "subscription_reactivated":
    case "subscription_paused":
    case "subscription_resumed":
    case "subscription_cancellation_scheduled": {
      const { subscription, customer } = data.content;
      const subject = subscription.customer_id;
      return {
        kind: "mapped",
        mapped: {
          uid: uidOf(field, subject, customer),
          subject,
          patch: subscriptionPatch(subscription, customer),
          ...orderOf(CHARGEBEE_FAMILY.subscription, subject, subscription.resource_version),
          ...withEvents(subscriptionEvents(data.type, subscription)),
        },
      };
    }
    case "payment_succeeded":
    case "payment_failed":
    case "payment_refunded": {
      const { transaction, customer, invoice } = data.content;
      const subject = transaction.customer_id ?? customer?.id ?? undefined;
      const uid = uidOf(field, subject, customer);
      const context = { uid, ...(subject ? { subject } : {}) };
      const ordered = (family: string) => orderOf(family, subject ?? transaction.id, transaction.resource_version);
      // Each is the transaction's own amount: the attempt that failed, the refund (not a running total), the payment.
      const { amount, currency } = transactionAmount(transaction);
      if (data.type === "payment_failed") {
        const attempts = invoice?.dunning_attempts?.length ?? 0;
        return {
          kind: "mapped",
          mapped: {
            ...context,
            patch: paymentFailedPatch(transaction, customer, attempts, event.occurredAt),
            ...ordered(CHARGEBEE_FAMILY.paymentFailed),
            events: [paymentFailed(amount, currency, Math.max(1, attempts))],
          },
        };
      }
      if (data.type === "payment_refunded") {
        return {
          kind: "mapped",
          mapped: { ...context, patch: refundPatch(transaction, customer, event.occurredAt), ...ordered(CHARGEBEE_FAMILY.refund), events: [refundIssued(amount, currency)] },
        };
      }
      const patch = paymentPatch(transaction, customer, event.occurredAt);
      // A $0 payment writes nothing of the payment family, so it is not ordered against payments.
      return {
        kind: "mapped",
        mapped: { ...context, patch, ...(isPayment(transaction) ? ordered(CHARGEBEE_FAMILY.payment) : {}), ...withEvents(paymentSucceeded(amount, currency)) },
      };
    }
    case "customer_created":
    case "customer_changed": {
      const { customer } = data.content;
      return {
        kind: "mapped",
        mapped: { uid: uidOf(field, customer.id, customer), subject: customer.id, patch: customerPatch(customer), ...orderOf(CHARGEBEE_FAMILY.customer, customer.id, customer.resource_version) },
      };
    }
  }
}

/**
 * The lifecycle moments of a Chargebee subscription event. Chargebee's content is the subscription
 * after the event, with no previous values (`subscription_changed` included), so only event types
 * that name a transition yield one. https://apidocs.chargebee.com/docs/api/events#event_types
 * - `subscription_created`: Trial Started (`in_trial`) or Subscription Started (`active`).
 * - `subscription_activated`: Subscription Started; Chargebee sends it when a subscription moves
 *   from its trial (or from `future`) to active, not for one created active.
 *   https://support.chargebee.com/support/solutions/articles/221429-what-s-the-difference-between-the-subscription-created-subscription-activated-and-subscription-start
 * - `subscription_cancellation_scheduled`: Subscription Cancellation Scheduled.
 * - `subscription_cancelled`: Subscription Canceled, with what it brought in per month.
 * - `subscription_changed` (a plan change among others), `_renewed`, `_reactivated`, `_paused`,
 *   `_resumed`: nothing.
 */
function subscriptionEvents(type: ChargebeeData["type"], subscription: Subscription): LifecycleFact[] {
  const now = subscriptionView(subscription);
  switch (type) {
    case "subscription_created":
      return subscriptionFacts({ kind: "created", now });
    case "subscription_activated":
      return subscriptionStarted(now);
    case "subscription_cancellation_scheduled":
      return [cancellationScheduled(now)];
    case "subscription_cancelled":
      return subscriptionFacts({ kind: "ended", now, previousMrr: endedMonthlyRevenue(subscription) });
    default:
      return [];
  }
}
