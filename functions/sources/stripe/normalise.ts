import type { Config } from "../../config";
import { isoTime } from "../../iso-time";
import { LIMITS, type PropertyType, type Upsert } from "../../upsert";
import type { Normalised, SourceEvent } from "../types";
import { toMajorUnits } from "./currency";
import type { Expandable, Interval, Metadata, StripeData, Subscription } from "./schema";

/** A property with its declared Fullstory type, or undefined to leave it out of the upsert. */
type Typed = readonly [PropertyType, string | number | boolean] | undefined;

const iso = (seconds: number): string => isoTime(seconds * 1000);
const str = (value: string | null | undefined): Typed => (value == null ? undefined : ["str", value]);
const date = (seconds: number | null | undefined): Typed => (seconds == null ? undefined : ["date", iso(seconds)]);
const int = (value: number): Typed => ["int", value];
const real = (value: number): Typed => ["real", value];
const bool = (value: boolean | null | undefined): Typed => (value == null ? undefined : ["bool", value]);

/** The id of a field Stripe sends as an id or as the expanded object. */
const idOf = (value: Expandable | null | undefined): string | undefined =>
  value == null ? undefined : typeof value === "string" ? value : value.id;

const fromMetadata = (metadata: Metadata, keys: readonly string[]): (string | undefined)[] =>
  keys.map((key) => (metadata && Object.hasOwn(metadata, key) ? metadata[key] : undefined));

/**
 * The first usable uid among the candidates, in order. Empty values are skipped (Stripe clears a
 * metadata key by setting it to ""), and so are values over Fullstory's uid limit, which it would refuse.
 */
const firstUid = (candidates: (string | null | undefined)[]): string | undefined =>
  candidates.find((c): c is string => typeof c === "string" && c.length > 0 && c.length <= LIMITS.uid);

/** Fullstory refuses an over-long email or display name; leaving it out keeps the rest of the upsert. */
const fits = (value: string | null | undefined, limit: number): string | undefined =>
  value && value.length <= limit ? value : undefined;

function upsertOf(
  uid: string | undefined,
  person: { email?: string | null; name?: string | null },
  props: Record<string, Typed>,
): Normalised {
  if (uid === undefined) return { kind: "unresolved" };
  const properties: Upsert["properties"] = {};
  const types: Record<string, PropertyType> = {};
  for (const name in props) {
    const typed = props[name];
    if (typed === undefined) continue;
    properties[name] = typed[1];
    types[name] = typed[0];
  }
  const upsert: Upsert = { uid, properties, schema: { properties: types } };
  const email = fits(person.email, LIMITS.email);
  const displayName = fits(person.name, LIMITS.displayName);
  if (email !== undefined) upsert.email = email;
  if (displayName !== undefined) upsert.display_name = displayName;
  return { kind: "upsert", upsert };
}

/**
 * Months per billing interval, to bring a price to one month: a year is 12 months (÷ 12), a week
 * 12/52 of a month (× 52/12), a day 12/365 (× 365/12). A price billed every `interval_count`
 * intervals is further divided by that count (3-monthly: ÷ 3).
 */
const MONTHS_PER_INTERVAL: Readonly<Record<Interval, number>> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

/** Statuses whose subscription brings in revenue: https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses */
const PAYING = new Set(["active", "past_due"]);

/**
 * Σ unit_amount × quantity over the items, each normalised to one month, in major units. Tiered
 * prices have no `unit_amount` and metered items no `quantity`: they count 0, as they cannot be
 * priced from the event alone.
 */
function monthlyRevenue(subscription: Subscription): number {
  const minor = subscription.items.data.reduce((sum, item) => {
    const { unit_amount, recurring } = item.price;
    const perPeriod = (unit_amount ?? 0) * (item.quantity ?? 0);
    return sum + perPeriod / (MONTHS_PER_INTERVAL[recurring.interval] * recurring.interval_count);
  }, 0);
  return toMajorUnits(minor, subscription.currency);
}

function subscriptionProperties(subscription: Subscription, status: string): Record<string, Typed> {
  const [first] = subscription.items.data;
  const { price } = first;
  return {
    stripe_customer_id: str(idOf(subscription.customer)),
    subscription_id: str(subscription.id),
    plan: str(price.lookup_key || price.nickname || idOf(price.product) || price.id),
    plan_interval: str(price.recurring.interval),
    plan_interval_count: int(price.recurring.interval_count),
    subscription_status: str(status),
    seats: int(subscription.items.data.reduce((sum, item) => sum + (item.quantity ?? 0), 0)),
    mrr: real(PAYING.has(status) ? monthlyRevenue(subscription) : 0),
    currency: str(subscription.currency),
    trial_ends_at: date(subscription.trial_end),
    // API 2025-03-31 and later: on the item; earlier: on the subscription.
    current_period_end: date(first.current_period_end ?? subscription.current_period_end),
    cancel_at_period_end: bool(subscription.cancel_at_period_end),
    canceled_at: date(subscription.canceled_at),
  };
}

/**
 * Turns a parsed Stripe event into a Fullstory upsert by the default mapping (DESIGN.md): the uid
 * is the first of the object's `metadata[k]` for each configured key k, then, for checkout
 * sessions, `client_reference_id`, and for invoices the subscription's metadata (new `parent`
 * shape, then the older top-level one). No uid → `unresolved`. Pure: the clock is the event's own.
 */
export function normaliseStripe(event: SourceEvent<StripeData>, config: Config): Normalised {
  const keys = config.stripeUidMetadataKeys;
  const { data } = event;
  switch (data.type) {
    case "customer.created":
    case "customer.updated": {
      const customer = data.object;
      return upsertOf(firstUid(fromMetadata(customer.metadata, keys)), customer, {
        stripe_customer_id: str(customer.id),
        customer_since: date(customer.created),
        delinquent: bool(customer.delinquent),
      });
    }
    case "customer.deleted":
      return upsertOf(firstUid(fromMetadata(data.object.metadata, keys)), {}, {
        stripe_customer_id: str(data.object.id),
        billing_status: str("deleted"),
      });
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.trial_will_end":
      return upsertOf(firstUid(fromMetadata(data.object.metadata, keys)), {}, subscriptionProperties(data.object, data.object.status));
    case "customer.subscription.deleted":
      return upsertOf(firstUid(fromMetadata(data.object.metadata, keys)), {}, subscriptionProperties(data.object, "canceled"));
    case "invoice.paid":
    case "invoice.payment_succeeded":
    case "invoice.payment_failed": {
      const invoice = data.object;
      const uid = firstUid([
        ...fromMetadata(invoice.metadata, keys),
        ...fromMetadata(invoice.parent?.subscription_details?.metadata, keys),
        ...fromMetadata(invoice.subscription_details?.metadata, keys),
      ]);
      const person = { email: invoice.customer_email, name: invoice.customer_name };
      if (data.type === "invoice.payment_failed") {
        return upsertOf(uid, person, {
          stripe_customer_id: str(idOf(invoice.customer)),
          payment_failed_at: ["date", event.occurredAt],
          payment_attempt_count: int(invoice.attempt_count),
        });
      }
      const paidAt = invoice.status_transitions.paid_at;
      return upsertOf(uid, person, {
        stripe_customer_id: str(idOf(invoice.customer)),
        last_payment_at: paidAt == null ? ["date", event.occurredAt] : date(paidAt),
        last_payment_amount: real(toMajorUnits(invoice.amount_paid, invoice.currency)),
        currency: str(invoice.currency),
      });
    }
    case "checkout.session.completed": {
      const session = data.object;
      const uid = firstUid([...fromMetadata(session.metadata, keys), session.client_reference_id]);
      const person = {
        email: session.customer_details?.email || session.customer_email,
        name: session.customer_details?.name,
      };
      return upsertOf(uid, person, {
        stripe_customer_id: str(idOf(session.customer)),
        checkout_completed_at: ["date", event.occurredAt],
      });
    }
    case "charge.refunded": {
      const charge = data.object;
      return upsertOf(firstUid(fromMetadata(charge.metadata, keys)), {}, {
        stripe_customer_id: str(idOf(charge.customer)),
        last_refund_at: ["date", event.occurredAt],
        // The charge's refunded total: since API 2022-11-15 the event no longer embeds the refunds
        // list. https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand
        last_refund_amount: real(toMajorUnits(charge.amount_refunded, charge.currency)),
      });
    }
  }
}
