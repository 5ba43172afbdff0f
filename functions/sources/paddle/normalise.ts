import type { Config } from "../../config";
import { firstUid, fromMetadata } from "../billing";
import type { LifecycleFact } from "../../lifecycle";
import { paymentFailed, paymentSucceeded, refundIssued, subscriptionFacts, subscriptionStarted, withEvents } from "../lifecycle";
import type { Mapped, Normalised, SourceEvent } from "../types";
import {
  adjustmentTotal,
  attemptCount,
  customerPatch,
  endedMonthlyRevenue,
  inFirstBilledPeriod,
  isPayment,
  paymentFailedPatch,
  paymentPatch,
  refundPatch,
  subscriptionPatch,
  subscriptionView,
  transactionTotal,
} from "./mapping";
import type { PaddleData, Subscription } from "./schema";

/**
 * The families of properties Paddle events write, each the stale-event guard's key for one
 * customer, as for Stripe (functions/sources/stripe/normalise.ts, STRIPE_FAMILY): every
 * subscription event of a customer writes the same plan, MRR and status, whichever subscription it
 * is about; payments, failures, refunds and the customer's own fields each keep their own.
 */
export const PADDLE_FAMILY = {
  customer: "customer",
  subscription: "subscription",
  payment: "payment",
  paymentFailed: "payment_failed",
  refund: "refund",
} as const;

/**
 * Turns a parsed Paddle event into what it says of a Fullstory user. The uid is the first of
 * `custom_data[k]` for each key k of PADDLE_UID_CUSTOM_DATA_KEYS, on the subscription or
 * transaction itself, or on the customer for customer events. The subject is the Paddle customer
 * (`ctm_…`): the identity directory learns its uid from the customer's own events (its
 * `custom_data`) and from any event that names both, and resolves the events that name no uid
 * (adjustments never do). Events are ordered by `occurred_at`. Lifecycle events: the subscription
 * moments its event type names (subscriptionEvents), Payment Succeeded for a completed transaction
 * above 0, Payment Failed, and Refund Issued for an approved refund. Pure: the clock is the event's own.
 */
export function normalisePaddle(event: SourceEvent<PaddleData>, config: Config): Normalised {
  const keys = config.paddleUidCustomDataKeys;
  const at = Date.parse(event.occurredAt);
  const { data } = event;
  /** The mapping for an event about `customer`, guarded in `family` (by `fallbackId` when the customer is unknown). */
  const about = (customer: string | null | undefined, family: string, fallbackId: string, rest: Omit<Mapped, "subject" | "order">): Normalised => ({
    kind: "mapped",
    mapped: { ...rest, ...(customer ? { subject: customer } : {}), order: { key: `${family}:${customer ?? fallbackId}`, at } },
  });
  const uidIn = (customData: unknown) => firstUid(fromMetadata(customData, keys));

  switch (data.type) {
    case "subscription.created":
    case "subscription.updated":
    case "subscription.activated":
    case "subscription.trialing":
    case "subscription.past_due":
    case "subscription.paused":
    case "subscription.resumed":
    case "subscription.canceled": {
      const subscription = data.data;
      return about(subscription.customer_id, PADDLE_FAMILY.subscription, subscription.id, {
        uid: uidIn(subscription.custom_data),
        patch: subscriptionPatch(subscription),
        ...withEvents(subscriptionEvents(data.type, subscription)),
      });
    }
    case "transaction.completed": {
      const transaction = data.data;
      const uid = uidIn(transaction.custom_data);
      if (!isPayment(transaction)) {
        // Not a payment: nothing of the payment family is written, so it is not ordered against
        // payments, and no Payment Succeeded is sent.
        return { kind: "mapped", mapped: { uid, ...(transaction.customer_id ? { subject: transaction.customer_id } : {}), patch: paymentPatch(transaction, event.occurredAt) } };
      }
      // Paddle sends transaction.paid and then transaction.completed for one payment: only
      // transaction.completed is mapped, so the payment is one event.
      // https://developer.paddle.com/webhooks/scenarios/subscription-created
      const { amount, currency } = transactionTotal(transaction);
      return about(transaction.customer_id, PADDLE_FAMILY.payment, transaction.id, {
        uid,
        patch: paymentPatch(transaction, event.occurredAt),
        ...withEvents(paymentSucceeded(amount, currency)),
      });
    }
    case "transaction.payment_failed": {
      const transaction = data.data;
      const { amount, currency } = transactionTotal(transaction);
      return about(transaction.customer_id, PADDLE_FAMILY.paymentFailed, transaction.id, {
        uid: uidIn(transaction.custom_data),
        patch: paymentFailedPatch(transaction, event.occurredAt),
        events: [paymentFailed(amount, currency, attemptCount(transaction))],
      });
    }
    case "customer.created":
    case "customer.updated": {
      const customer = data.data;
      return about(customer.id, PADDLE_FAMILY.customer, customer.id, { uid: uidIn(customer.custom_data), patch: customerPatch(customer) });
    }
    case "adjustment.created":
    case "adjustment.updated": {
      const adjustment = data.data;
      // Credits, chargebacks and refunds still awaiting approval (or rejected) are not refunds paid.
      if (adjustment.action !== "refund" || adjustment.status !== "approved") return { kind: "ignored", reason: "not_an_approved_refund" };
      // A refund is approved once: created approved, or created pending and then updated (the only
      // update an adjustment gets), so each refund is one Refund Issued.
      // https://developer.paddle.com/webhooks/adjustments/adjustment-updated
      const { amount, currency } = adjustmentTotal(adjustment);
      return about(adjustment.customer_id, PADDLE_FAMILY.refund, adjustment.id, {
        patch: refundPatch(adjustment, event.occurredAt),
        events: [refundIssued(amount, currency)],
      });
    }
  }
}

/**
 * The lifecycle moments of a Paddle subscription event. Paddle's payloads carry the subscription as
 * it is after the event, never what it was, so only event types that name a transition yield one:
 * - `subscription.created` in trial: Trial Started (Paddle also sends `subscription.trialing` for
 *   it, which yields nothing). Created active: nothing here, as Paddle also sends
 *   `subscription.activated` for the same start.
 *   https://developer.paddle.com/webhooks/scenarios/subscription-created
 * - `subscription.activated`: Subscription Started, in the subscription's first billed period (a
 *   new subscription, or a trial that converted). Paddle also sends it when a paused subscription
 *   resumes, which is no start. https://developer.paddle.com/webhooks/scenarios/subscription-resumed
 * - `subscription.canceled`: Subscription Canceled, with what it brought in per month.
 * - `subscription.updated` (plan changes, scheduled cancellations), `.past_due`, `.paused`,
 *   `.resumed`: nothing, there being no previous state to tell what changed.
 */
function subscriptionEvents(type: PaddleData["type"], subscription: Subscription): LifecycleFact[] {
  const now = subscriptionView(subscription);
  switch (type) {
    case "subscription.created":
      return now.status === "trialing" ? subscriptionFacts({ kind: "created", now }) : [];
    case "subscription.activated":
      return inFirstBilledPeriod(subscription) ? subscriptionStarted(now) : [];
    case "subscription.canceled":
      return subscriptionFacts({ kind: "ended", now, previousMrr: endedMonthlyRevenue(subscription) });
    default:
      return [];
  }
}
