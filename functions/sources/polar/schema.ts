import * as z from "zod";
import { IsoDateTime } from "../iso-datetime";

/**
 * The parts of Polar's webhook payloads the mapping reads: `{type, timestamp, data}`, whose `data`
 * is the Subscription, Order or Customer the event is about, in the API's snake_case. Unknown
 * fields are accepted and dropped; the verified body travels on unchanged as the message's `raw`.
 * https://polar.sh/docs/integrate/webhooks/events; the objects' fields as the official SDK models them
 * (`@polar-sh/sdk`, src/models/components/subscription.ts, order.ts, customer.ts).
 */

/** Polar's metadata: string keys, string, number or boolean values. */
const Metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish();
/** An amount in the currency's smallest unit (cents). */
const Amount = z.number().int().nonnegative();
const Currency = z.string().regex(/^[A-Za-z]{3}$/);

/**
 * The customer, embedded in subscriptions and orders and the object of `customer.*` events.
 * `external_id` is the team's own id for the customer, set through checkout's
 * `external_customer_id`; `type` is `individual` or `team` (absent before seat-based billing).
 */
export const CustomerSchema = z.object({
  id: z.string().min(1),
  external_id: z.string().nullish(),
  email: z.string().nullish(),
  name: z.string().nullish(),
  type: z.string().nullish(),
  metadata: Metadata,
  created_at: IsoDateTime,
});
export type Customer = z.infer<typeof CustomerSchema>;

/**
 * `amount` is what each period is charged, discounts applied, before tax (the sum of the
 * subscription's prices less its discount, server/polar/models/subscription.py in polarsource/polar);
 * `seats` is null unless the product is priced per seat.
 */
export const SubscriptionSchema = z.object({
  id: z.string().min(1),
  amount: Amount,
  currency: Currency,
  recurring_interval: z.enum(["day", "week", "month", "year"]),
  // Older API versions had no count: every subscription then renewed every interval.
  recurring_interval_count: z.number().int().positive().default(1),
  // Polar's statuses are Stripe's: incomplete, incomplete_expired, trialing, active, past_due, canceled, unpaid.
  status: z.string().min(1),
  current_period_end: IsoDateTime.nullish(),
  trial_end: IsoDateTime.nullish(),
  cancel_at_period_end: z.boolean(),
  canceled_at: IsoDateTime.nullish(),
  // When a cancelled subscription ends (or ended), and when it did end.
  ends_at: IsoDateTime.nullish(),
  ended_at: IsoDateTime.nullish(),
  seats: z.number().int().nonnegative().nullish(),
  customer_id: z.string().min(1),
  customer: CustomerSchema,
  product: z.object({ id: z.string().min(1), name: z.string().nullish() }),
  metadata: Metadata,
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

/**
 * `total_amount` is what was charged (tax included); `refunded_amount` is the refunded part before
 * tax, `refunded_tax_amount` its tax (Order.update_refunds in polarsource/polar).
 */
export const OrderSchema = z.object({
  id: z.string().min(1),
  total_amount: Amount,
  refunded_amount: Amount,
  refunded_tax_amount: Amount,
  currency: Currency,
  customer_id: z.string().min(1),
  customer: CustomerSchema,
  metadata: Metadata,
});
export type Order = z.infer<typeof OrderSchema>;

/** The mapped event types, each with the schema of its `data`. https://polar.sh/docs/integrate/webhooks/events */
export const EVENTS = {
  "subscription.created": SubscriptionSchema,
  "subscription.updated": SubscriptionSchema,
  "subscription.active": SubscriptionSchema,
  "subscription.canceled": SubscriptionSchema,
  "subscription.uncanceled": SubscriptionSchema,
  "subscription.revoked": SubscriptionSchema,
  "order.paid": OrderSchema,
  "order.refunded": OrderSchema,
  "customer.created": CustomerSchema,
  "customer.updated": CustomerSchema,
} as const;
export type PolarEventType = keyof typeof EVENTS;

export const EnvelopeSchema = z.object({ type: z.string().min(1), timestamp: IsoDateTime, data: z.unknown() });

/** A mapped event: `type` narrows `data` to the object the event carries. */
export type PolarData = { [T in PolarEventType]: { type: T; data: z.infer<(typeof EVENTS)[T]> } }[PolarEventType];
