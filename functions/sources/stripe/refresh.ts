import type { Config } from "../../config";
import type { UserPatch } from "../../upsert";
import type { CurrentState, Refresher, RefreshOptions } from "../../refresh";
import type { StripeApi, StripeCallOptions } from "./api";
import { customerPatch, deletedCustomerPatch, firstUid, fromMetadata, paymentFailedPatch, paymentPatch, refundPatch, subscriptionPatch } from "./mapping";
import { REFRESH } from "./normalise";
import { normaliseStripe } from "./normalise";
import { OBJECT_SCHEMAS, type Invoice, type StripeData, type StripeEventType, type Subscription } from "./schema";

/**
 * Stripe's current state of what an event is about, for API mode. A state fetched for a whole
 * family (the customer, its subscriptions, its last payment) covers every event of that family
 * created before the fetch, so it is recorded as of the fetch, less CLOCK_MARGIN_MS: Stripe's
 * `created` is in whole seconds and two clocks are involved. Later deliveries of events it covers
 * are then skipped as stale, with no fetch at all. A state fetched for one object (an invoice's
 * failure, a charge's refunds) is recorded as of its event, since another object of the family may
 * be newer. https://docs.stripe.com/webhooks#event-ordering
 */
export const CLOCK_MARGIN_MS = 2_000;

/**
 * Which subscription is the customer's current one: a paying or trialing one before one that ended,
 * then the newest. https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses
 */
const STATUS_RANK: Readonly<Record<string, number>> = {
  active: 0,
  past_due: 1,
  trialing: 2,
  unpaid: 3,
  paused: 4,
  incomplete: 5,
  canceled: 6,
  incomplete_expired: 7,
};
export function currentSubscription(subscriptions: readonly Subscription[]): Subscription | undefined {
  const rank = (s: Subscription) => STATUS_RANK[s.status] ?? 8;
  return [...subscriptions].sort((a, b) => rank(a) - rank(b) || (b.created ?? 0) - (a.created ?? 0))[0];
}

/**
 * An invoice's copy of the customer's email and name is as of when it was made; in API mode the
 * Customer itself, as Stripe holds it now, is what names the person (customer events write it).
 */
function withoutPerson({ email: _email, display_name: _name, ...patch }: UserPatch): UserPatch {
  return patch;
}

/**
 * The last-payment family's state from the customer's paid invoices, newest first: the newest
 * payment above 0 (see paymentPatch; none yet leaves last_payment_* alone), without the invoice's
 * copy of the person. `eventAt` stands in for an invoice without `paid_at`. Undefined when there is
 * no paid invoice. Shared by API mode and `npm run backfill`.
 */
export function lastPaymentPatch(invoices: readonly Invoice[], eventAt: number): UserPatch | undefined {
  const paid = invoices.find((invoice) => invoice.amount_paid > 0) ?? invoices[0];
  return paid ? withoutPerson(paymentPatch(paid, new Date(eventAt).toISOString())) : undefined;
}

/**
 * The same calls asked twice in one batch answered once: several events of one customer (its
 * `customer.updated`, the uid lookup of its invoice) cost one request.
 */
function memo(api: StripeApi): StripeApi {
  const cache = new Map<string, Promise<unknown>>();
  const once =
    <A extends [string, StripeCallOptions?], R>(name: string, fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const key = `${name}\n${args[0]}`;
      let hit = cache.get(key) as Promise<R> | undefined;
      if (!hit) {
        hit = fn(...args);
        cache.set(key, hit);
        // A failure is not kept: the next message may try again.
        hit.catch(() => cache.delete(key));
      }
      return hit;
    };
  return {
    customer: once("customer", api.customer),
    subscriptions: once("subscriptions", api.subscriptions),
    subscription: once("subscription", api.subscription),
    paidInvoices: once("paidInvoices", api.paidInvoices),
    invoice: once("invoice", api.invoice),
    charge: once("charge", api.charge),
    // Pages of customers are backfill's, read once each: nothing to share.
    customers: api.customers,
  };
}

const THIN_TYPE_PREFIX = "v1.";
const isMappedType = (type: string): type is StripeEventType => Object.hasOwn(OBJECT_SCHEMAS, type);

/** A refresher over `api` for one batch (see Refresher), mapping with `config`'s uid keys. */
export function createStripeRefresher(api: StripeApi, config: Config, now: () => number = Date.now): Refresher {
  const stripe = memo(api);
  const iso = (ms: number) => new Date(ms).toISOString();

  const related = async (type: string, id: string, options?: StripeCallOptions): Promise<unknown> => {
    switch (type) {
      case "customer":
        return stripe.customer(id, options);
      case "subscription":
        return stripe.subscription(id, options);
      case "invoice":
        return stripe.invoice(id, options);
      case "charge":
        return stripe.charge(id, options);
      default:
        return undefined;
    }
  };

  return {
    async expand(message, options?: RefreshOptions) {
      const refresh = message.refresh;
      const of = message.event_type.slice(THIN_TYPE_PREFIX.length);
      if (!refresh?.family.startsWith(REFRESH.thin) || !isMappedType(of)) return "missing";
      const object = await related(refresh.family.slice(REFRESH.thin.length), refresh.id, options);
      if (object === undefined) return "missing";
      // The object as Stripe holds it now stands in for the snapshot the thin event left out.
      const parsed = OBJECT_SCHEMAS[of].safeParse(object);
      if (!parsed.success) return "missing";
      const data = { type: of, object: parsed.data } as StripeData;
      const normalised = normaliseStripe({ id: message.event_id, type: of, occurredAt: message.occurred_at, data }, config);
      return normalised.kind === "mapped" ? normalised.mapped : "missing";
    },

    async current(refresh, eventAt, options?: RefreshOptions): Promise<CurrentState | "missing"> {
      const fetchedAt = now();
      const family = (patch: CurrentState["patch"]): CurrentState => ({ patch, asOf: fetchedAt - CLOCK_MARGIN_MS });
      switch (refresh.family) {
        case REFRESH.customer: {
          const customer = await stripe.customer(refresh.id, options);
          if (!customer) return "missing";
          return family("deleted" in customer ? deletedCustomerPatch(customer.id) : customerPatch(customer));
        }
        case REFRESH.subscriptions: {
          const subscription = currentSubscription(await stripe.subscriptions(refresh.id, options));
          return subscription ? family(subscriptionPatch(subscription)) : "missing";
        }
        case REFRESH.paidInvoices: {
          const patch = lastPaymentPatch(await stripe.paidInvoices(refresh.id, options), eventAt);
          return patch ? family(patch) : "missing";
        }
        case REFRESH.invoice: {
          const invoice = await stripe.invoice(refresh.id, options);
          return invoice ? { patch: withoutPerson(paymentFailedPatch(invoice, iso(eventAt))), asOf: eventAt } : "missing";
        }
        case REFRESH.charge: {
          const charge = await stripe.charge(refresh.id, options);
          return charge ? { patch: refundPatch(charge, iso(eventAt)), asOf: eventAt } : "missing";
        }
        default:
          return "missing";
      }
    },

    async uidOf(subject, options?: RefreshOptions) {
      const customer = await stripe.customer(subject, options);
      if (!customer || "deleted" in customer) return undefined;
      return firstUid(fromMetadata(customer.metadata, config.stripeUidMetadataKeys));
    },
  };
}
