import type { LifecycleFact } from "../lifecycle";
import { PAYING_STATUSES, int, real, str, type Typed } from "./billing";

/**
 * The lifecycle moments every billing and signup source can find in its events, built from the
 * billing vocabulary's values so that each source's "Subscription Started" carries the same
 * properties. A source states what it knows of the subscription before and after the event; the
 * rules for what counts as a start, a plan change or a scheduled cancellation live here once.
 */

/** A subscription as the vocabulary sees it, for comparing its state before and after an event. */
export interface SubscriptionView {
  /** In the vocabulary's (Stripe's) words: trialing, active, past_due, canceled, incomplete, paused… */
  status: string;
  plan?: string;
  /** What the subscription brings in per month while it is paying, whatever its status now. */
  monthlyValue?: number;
  currency?: string;
  interval?: string;
  seats?: number;
  trialEndsAt?: Typed;
  cancelAtPeriodEnd?: boolean;
  /** When a scheduled cancellation takes effect (the period's end, or the provider's date). */
  cancelsAt?: Typed;
}

/** What happened to the subscription in this event. */
export type SubscriptionChange =
  | { kind: "created"; now: SubscriptionView }
  /** `before`: the state the event says it had (Stripe `previous_attributes` merged over the object); unknown when the payload does not say. */
  | { kind: "updated"; now: SubscriptionView; before?: SubscriptionView }
  /** `previousMrr`: what it brought in before it ended (0 when it ended in trial or unpaid). */
  | { kind: "ended"; now: SubscriptionView; previousMrr?: number };

/** Statuses a subscription can become paid-active from: its trial converted, or its first payment went through. */
const STARTING_STATUSES: ReadonlySet<string> = new Set(["trialing", "incomplete"]);

const mrrOf = (view: SubscriptionView): number | undefined =>
  view.monthlyValue === undefined ? undefined : PAYING_STATUSES.has(view.status) ? view.monthlyValue : 0;

const started = (now: SubscriptionView): LifecycleFact => ({
  name: "Subscription Started",
  properties: { plan: str(now.plan), mrr: real(mrrOf(now)), currency: str(now.currency), plan_interval: str(now.interval), seats: int(now.seats) },
});

/**
 * The moments in a subscription event:
 * - created in trial: Trial Started; created active: Subscription Started;
 * - trialing or incomplete → active: Subscription Started;
 * - another plan than before: Subscription Plan Changed (with the previous MRR when it is known);
 * - `cancel_at_period_end` false → true: Subscription Cancellation Scheduled;
 * - ended: Subscription Canceled.
 * An update whose previous state the payload does not carry yields none of the transitions.
 */
export function subscriptionFacts(change: SubscriptionChange): LifecycleFact[] {
  const { now } = change;
  switch (change.kind) {
    case "created":
      if (now.status === "trialing") return [{ name: "Trial Started", properties: { plan: str(now.plan), trial_ends_at: now.trialEndsAt } }];
      return now.status === "active" ? [started(now)] : [];
    case "ended":
      return [{ name: "Subscription Canceled", properties: { plan: str(now.plan), previous_mrr: real(change.previousMrr) } }];
    case "updated": {
      const { before } = change;
      if (!before) return [];
      const facts: LifecycleFact[] = [];
      if (STARTING_STATUSES.has(before.status) && now.status === "active") facts.push(started(now));
      if (before.plan !== undefined && now.plan !== undefined && before.plan !== now.plan) {
        facts.push({
          name: "Subscription Plan Changed",
          properties: { plan: str(now.plan), previous_plan: str(before.plan), mrr: real(mrrOf(now)), previous_mrr: real(mrrOf(before)) },
        });
      }
      if (before.cancelAtPeriodEnd === false && now.cancelAtPeriodEnd === true) facts.push(cancellationScheduled(now));
      return facts;
    }
  }
}

/**
 * Subscription Started for an event whose type says the subscription just became paid-active
 * (Paddle `subscription.activated`, Chargebee `subscription_activated`), when the payload carries
 * no previous state to compare: the event type is the transition. None unless it is active now.
 */
export const subscriptionStarted = (now: SubscriptionView): LifecycleFact[] => (now.status === "active" ? [started(now)] : []);

/**
 * Subscription Cancellation Scheduled for an event whose type says a cancellation at the period's
 * end was just asked for (Chargebee `subscription_cancellation_scheduled`, Lemon Squeezy
 * `subscription_cancelled`, Polar `subscription.canceled`); `subscriptionFacts` uses it for the one
 * it finds by comparing states.
 */
export function cancellationScheduled(now: SubscriptionView): LifecycleFact {
  return {
    name: "Subscription Cancellation Scheduled",
    properties: { plan: str(now.plan), cancels_at: now.cancelsAt },
  };
}

/** A mapping's `events`: left out when the event records no moment, so a plain update maps as before. */
export const withEvents = (facts: readonly LifecycleFact[]): { events?: LifecycleFact[] } => (facts.length > 0 ? { events: [...facts] } : {});

/** Stripe's `customer.subscription.trial_will_end` and its likes: the trial ends soon. */
export const trialEnding = (trialEndsAt: Typed): LifecycleFact => ({ name: "Trial Ending", properties: { trial_ends_at: trialEndsAt } });

/** A payment above 0 (in major units); none for a $0 invoice, which is not a payment. */
export const paymentSucceeded = (amount: number, currency: string | undefined): LifecycleFact[] =>
  amount > 0 ? [{ name: "Payment Succeeded", properties: { amount: real(amount), currency: str(currency) } }] : [];

export const paymentFailed = (amountDue: number | undefined, currency: string | undefined, attemptCount: number | undefined): LifecycleFact => ({
  name: "Payment Failed",
  properties: { amount_due: real(amountDue), currency: str(currency), attempt_count: int(attemptCount) },
});

export const refundIssued = (amount: number | undefined, currency: string | undefined): LifecycleFact => ({
  name: "Refund Issued",
  properties: { amount: real(amount), currency: str(currency) },
});

/** A new user of a signup source (Clerk, WorkOS); `signupSource` is the source's name. */
export const signedUp = (signupSource: string): LifecycleFact => ({ name: "Signed Up", properties: { signup_source: str(signupSource) } });

export const accountDeleted = (): LifecycleFact => ({ name: "Account Deleted", properties: {} });
