import type { Config } from "../../config";
import type { Mapped, Normalised, SourceEvent } from "../types";
import {
  customerPatch,
  deletedCustomerPatch,
  firstUid,
  fromMetadata,
  idOf,
  monthlyRevenue,
  paymentFailedPatch,
  paymentPatch,
  patchOf,
  PROVIDER,
  refundPatch,
  str,
  dateIso,
  subscriptionPatch,
  subscriptionView,
} from "./mapping";
import { paymentFailed, paymentSucceeded, refundIssued, subscriptionFacts, trialEnding, type SubscriptionView } from "../lifecycle";
import { toMajorUnits } from "./currency";
import { SubscriptionSchema, type StripeData, type Subscription } from "./schema";

/**
 * The families of properties Stripe events write, each the key of the stale-event guard for one
 * customer: every subscription event of a customer writes the same plan, MRR and status, so an
 * older one must not follow a newer one, whichever subscription each is about (a new subscription
 * replacing a cancelled one included). Payments, failures, refunds and checkouts each keep their
 * own "last" properties.
 */
export const STRIPE_FAMILY = {
  customer: "customer",
  subscription: "subscription",
  payment: "payment",
  paymentFailed: "payment_failed",
  refund: "refund",
  checkout: "checkout",
} as const;

/**
 * What API mode fetches (functions/sources/stripe/refresh.ts), by Stripe id: the customer; the
 * customer's subscriptions (its current one is the family's state); its paid invoices (the last
 * payment); one invoice; one charge; or, for a thin event, its related object (`thin:<type>`).
 */
export const REFRESH = {
  customer: "customer",
  subscriptions: "subscriptions",
  paidInvoices: "paid_invoices",
  invoice: "invoice",
  charge: "charge",
  thin: "thin:",
} as const;

const ms = (iso: string) => Date.parse(iso);

/**
 * Turns a parsed Stripe event into what it says of a Fullstory user, by the default mapping
 * (DESIGN.md). The uid is the first of the object's `metadata[k]` for each configured key k, then,
 * for checkout sessions, `client_reference_id`, and for invoices the subscription's metadata (new
 * `parent` shape, then the older top-level one). The subject is the customer: the identity
 * directory resolves it when no uid is found, and learns it when one is. Pure: the clock is the
 * event's own.
 */
export function normaliseStripe(event: SourceEvent<StripeData>, config: Config): Normalised {
  const keys = config.stripeUidMetadataKeys;
  const { data } = event;
  const at = ms(event.occurredAt);
  const mapped = (m: Mapped): Normalised => ({ kind: "mapped", mapped: m });
  /** The mapping for an event about `customer`, guarded in `family`, refreshed as `refresh` in API mode. */
  const about = (customer: string | undefined, family: string, fallbackId: string, rest: Omit<Mapped, "subject" | "order">): Normalised =>
    mapped({ ...rest, ...(customer ? { subject: customer } : {}), order: { key: `${family}:${customer ?? fallbackId}`, at } });

  switch (data.type) {
    case "thin":
      // A thin event names its object only: API mode fetches it (and so learns its customer).
      return mapped({
        patch: null,
        ...(data.related.type === "customer" ? { subject: data.related.id } : {}),
        refresh: { family: `${REFRESH.thin}${data.related.type}`, id: data.related.id },
      });
    case "customer.created":
    case "customer.updated": {
      const customer = data.object;
      return about(customer.id, STRIPE_FAMILY.customer, customer.id, {
        uid: firstUid(fromMetadata(customer.metadata, keys)),
        patch: customerPatch(customer),
        refresh: { family: REFRESH.customer, id: customer.id },
      });
    }
    case "customer.deleted":
      return about(data.object.id, STRIPE_FAMILY.customer, data.object.id, {
        uid: firstUid(fromMetadata(data.object.metadata, keys)),
        patch: deletedCustomerPatch(data.object.id),
        refresh: { family: REFRESH.customer, id: data.object.id },
      });
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.trial_will_end":
    case "customer.subscription.deleted": {
      const subscription = data.object;
      const customer = idOf(subscription.customer);
      const status = data.type === "customer.subscription.deleted" ? "canceled" : subscription.status;
      return about(customer, STRIPE_FAMILY.subscription, subscription.id, {
        uid: firstUid(fromMetadata(subscription.metadata, keys)),
        patch: subscriptionPatch(subscription, status),
        ...(customer ? { refresh: { family: REFRESH.subscriptions, id: customer } } : {}),
        // Only when they are sent: comparing with previous_attributes parses the object again.
        ...(config.events.enabled ? { events: subscriptionEvents(data.type, subscription, status, data.previous) } : {}),
      });
    }
    case "invoice.paid":
    case "invoice.payment_succeeded":
    case "invoice.payment_failed": {
      const invoice = data.object;
      const customer = idOf(invoice.customer);
      const uid = firstUid([
        ...fromMetadata(invoice.metadata, keys),
        ...fromMetadata(invoice.parent?.subscription_details?.metadata, keys),
        ...fromMetadata(invoice.subscription_details?.metadata, keys),
      ]);
      if (data.type === "invoice.payment_failed") {
        const due = invoice.amount_due === undefined ? undefined : toMajorUnits(invoice.amount_due, invoice.currency);
        return about(customer, STRIPE_FAMILY.paymentFailed, invoice.id, {
          uid,
          patch: paymentFailedPatch(invoice, event.occurredAt),
          refresh: { family: REFRESH.invoice, id: invoice.id },
          events: [paymentFailed(due, invoice.currency, invoice.attempt_count)],
        });
      }
      // Stripe sends invoice.paid and invoice.payment_succeeded for one payment: the event is sent
      // for invoice.paid only, which also covers invoices paid outside Stripe.
      // https://docs.stripe.com/billing/subscriptions/webhooks#events
      const events = data.type === "invoice.paid" ? paymentSucceeded(toMajorUnits(invoice.amount_paid, invoice.currency), invoice.currency) : [];
      if (invoice.amount_paid <= 0) {
        // Not a payment (see paymentPatch): nothing of the payment family is written, so it is not
        // ordered against payments either.
        return mapped({ uid, ...(customer ? { subject: customer } : {}), patch: paymentPatch(invoice, event.occurredAt) });
      }
      return about(customer, STRIPE_FAMILY.payment, invoice.id, {
        uid,
        patch: paymentPatch(invoice, event.occurredAt),
        ...(customer ? { refresh: { family: REFRESH.paidInvoices, id: customer } } : {}),
        events,
      });
    }
    case "checkout.session.completed": {
      const session = data.object;
      const customer = idOf(session.customer);
      const person = { email: session.customer_details?.email || session.customer_email, name: session.customer_details?.name };
      return about(customer, STRIPE_FAMILY.checkout, session.id, {
        uid: firstUid([...fromMetadata(session.metadata, keys), session.client_reference_id]),
        patch: patchOf({ billing_provider: PROVIDER, stripe_customer_id: str(customer), checkout_completed_at: dateIso(event.occurredAt) }, person),
      });
    }
    case "charge.refunded": {
      const charge = data.object;
      // This refund: what the charge's refunded total grew by, when the event says what it was before.
      const before = data.previous?.amount_refunded;
      const refunded = typeof before === "number" && before <= charge.amount_refunded ? charge.amount_refunded - before : charge.amount_refunded;
      return about(idOf(charge.customer), STRIPE_FAMILY.refund, charge.id, {
        uid: firstUid(fromMetadata(charge.metadata, keys)),
        patch: refundPatch(charge, event.occurredAt),
        refresh: { family: REFRESH.charge, id: charge.id },
        events: [refundIssued(toMajorUnits(refunded, charge.currency), charge.currency)],
      });
    }
  }
}

/**
 * The lifecycle moments of a subscription event. An update compares the object with its
 * `previous_attributes` merged over it (what the update changed, as it was); a deleted
 * subscription brought in its MRR until it ended, unless it ended in its trial.
 * https://docs.stripe.com/api/events/object#event_object-data-previous_attributes
 */
function subscriptionEvents(type: string, subscription: Subscription, status: string, previous: Record<string, unknown> | undefined) {
  const now = subscriptionView(subscription, status);
  switch (type) {
    case "customer.subscription.created":
      return subscriptionFacts({ kind: "created", now });
    case "customer.subscription.trial_will_end":
      return [trialEnding(now.trialEndsAt)];
    case "customer.subscription.deleted": {
      const { trial_end: trialEnd, ended_at: endedAt } = subscription;
      const inTrial = trialEnd != null && endedAt != null && endedAt <= trialEnd;
      return subscriptionFacts({ kind: "ended", now, previousMrr: inTrial ? 0 : monthlyRevenue(subscription) });
    }
    default:
      return subscriptionFacts({ kind: "updated", now, ...(previous ? { before: before(subscription, previous) } : {}) });
  }
}

/** The subscription as it was before an update, or, when its old items cannot be read, with today's items. */
function before(subscription: Subscription, previous: Record<string, unknown>): SubscriptionView | undefined {
  const merged = SubscriptionSchema.safeParse({ ...subscription, ...previous });
  if (merged.success) return subscriptionView(merged.data);
  const sameItems = SubscriptionSchema.safeParse({ ...subscription, ...previous, items: subscription.items });
  return sameItems.success ? subscriptionView(sameItems.data) : undefined;
}
