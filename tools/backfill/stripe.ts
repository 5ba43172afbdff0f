import type { StripeApi } from "../../functions/sources/stripe/api";
import { customerPatch, firstUid, fromMetadata, subscriptionPatch } from "../../functions/sources/stripe/mapping";
import { currentSubscription, lastPaymentPatch } from "../../functions/sources/stripe/refresh";
import type { Customer } from "../../functions/sources/stripe/schema";
import { mergePatches, type UserPatch } from "../../functions/upsert";
import { bridgeVerdict, mapLimit, retrying, type Waits } from "./retry";
import type { BackfillRecord, BackfillSource } from "./source";

/** Stripe lists at most 100 objects a page. https://docs.stripe.com/api/pagination */
const PAGE = 100;
/**
 * Customers read at once (two requests each). Stripe allows 100 read requests a second in live
 * mode and 25 in test mode; what goes over is answered 429 and waited out.
 * https://docs.stripe.com/rate-limits
 */
const CONCURRENT_CUSTOMERS = 4;

export interface StripeBackfillOptions {
  api: StripeApi;
  /** `STRIPE_UID_METADATA_KEYS`. */
  uidKeys: readonly string[];
  waits: Waits;
  now?: () => number;
}

/**
 * Every Stripe customer, newest first (Stripe's order), with what API mode writes for it now, one
 * family after the other as separate webhooks would: the customer (email, name, `customer_since`,
 * `delinquent`), its last payment (the newest paid invoice above 0), and its current subscription
 * (active, past due or trialing before one that ended, then the newest), through the same
 * functions (functions/sources/stripe/mapping.ts and refresh.ts). The subscription comes last, so
 * that `currency`, which both it and the payment write, is the one its `mrr` is in.
 *
 * A paid invoice without `paid_at` (Stripe sets it on payment) has the time it was read as its
 * `last_payment_at`, as API mode uses the event's.
 *
 * The uid is the Customer's metadata (`STRIPE_UID_METADATA_KEYS`), else its current
 * subscription's, as a webhook about either would name it; without either the identity directory
 * is asked. The cursor is the last customer's id (`starting_after`): customers created while the
 * backfill runs come before it in Stripe's order and are left to their webhooks.
 */
export function stripeBackfillSource({ api, uidKeys, waits, now = Date.now }: StripeBackfillOptions): BackfillSource {
  const ask = <T>(what: string, call: () => Promise<T>) => retrying(`Stripe ${what}`, call, bridgeVerdict, waits);

  const record = async (customer: Customer): Promise<BackfillRecord> => {
    const [subscriptions, invoices] = await Promise.all([
      ask("subscriptions", () => api.subscriptions(customer.id)),
      ask("invoices", () => api.paidInvoices(customer.id)),
    ]);
    const subscription = currentSubscription(subscriptions);
    const families: UserPatch[] = [customerPatch(customer)];
    const payment = lastPaymentPatch(invoices, now());
    if (payment) families.push(payment);
    if (subscription) families.push(subscriptionPatch(subscription));
    const uid = firstUid([...fromMetadata(customer.metadata, uidKeys), ...(subscription ? fromMetadata(subscription.metadata, uidKeys) : [])]);
    return { subject: customer.id, ...(uid === undefined ? {} : { uid }), patch: mergePatches(families), cursor: customer.id };
  };

  return {
    name: "stripe",
    noun: "customer",
    uidHint: `no ${uidKeys.join(" or ")} in the Customer's metadata or its subscription's, and not in the identity directory`,
    async page({ cursor, limit, since }) {
      const listing = await ask("customers", () =>
        api.customers({
          limit: Math.min(PAGE, limit),
          ...(typeof cursor === "string" ? { startingAfter: cursor } : {}),
          ...(since ? { createdGte: Math.floor(since.getTime() / 1000) } : {}),
        }),
      );
      const records = await mapLimit(listing.data, CONCURRENT_CUSTOMERS, record);
      return { records, done: !listing.hasMore };
    },
  };
}
