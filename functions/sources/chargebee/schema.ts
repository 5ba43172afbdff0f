import * as z from "zod";

/**
 * The parts of Chargebee's objects the mapping reads, as webhook events (API v2) carry them in
 * `content`. Unknown fields are accepted and dropped: Chargebee adds fields without a new version.
 * https://apidocs.chargebee.com/docs/api/events  https://apidocs.chargebee.com/docs/api/webhooks
 */

/** Unix seconds, as Chargebee sends every time; at most 9999-12-31T23:59:59Z. */
const Seconds = z.number().int().nonnegative().max(253_402_300_799);

/**
 * `resource_version`: Chargebee's per-object version, a timestamp in milliseconds updated on every
 * change, given so that events arriving out of order can be told apart.
 * https://apidocs.chargebee.com/docs/api/subscriptions/subscription-object#resource_version
 */
const ResourceVersion = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** An amount in the currency's smallest unit (cents). https://apidocs.chargebee.com/docs/api#currencies */
const Amount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const CurrencySchema = z.string().regex(/^[A-Za-z]{3}$/, "expected a three-letter currency code");
const PeriodUnitSchema = z.enum(["day", "week", "month", "year"]);

/** `meta_data`: any JSON object the team attached to the customer. */
const MetaDataSchema = z.record(z.string(), z.unknown()).nullish();

/**
 * A subscription item (Product Catalog 2.0): a plan, an addon or a one-time charge, each at an item
 * price. https://apidocs.chargebee.com/docs/api/subscriptions/subscription-object#subscription_items
 */
const SubscriptionItemSchema = z.object({
  item_price_id: z.string().min(1),
  item_type: z.string(),
  quantity: z.number().int().nonnegative().nullish(),
  unit_price: Amount.nullish(),
  amount: Amount.nullish(),
  billing_period: z.number().int().positive().nullish(),
  billing_period_unit: PeriodUnitSchema.nullish(),
});

/**
 * https://apidocs.chargebee.com/docs/api/subscriptions/subscription-object. `subscription_items`
 * on Product Catalog 2.0 sites, `plan_id` and `plan_quantity` on 1.0 sites.
 */
export const SubscriptionSchema = z.object({
  id: z.string().min(1),
  customer_id: z.string().min(1),
  status: z.enum(["future", "in_trial", "active", "non_renewing", "paused", "cancelled"]),
  currency_code: CurrencySchema,
  billing_period: z.number().int().positive().nullish(),
  billing_period_unit: PeriodUnitSchema.nullish(),
  current_term_end: Seconds.nullish(),
  trial_end: Seconds.nullish(),
  cancelled_at: Seconds.nullish(),
  cancel_schedule_created_at: Seconds.nullish(),
  mrr: Amount.nullish(),
  resource_version: ResourceVersion.nullish(),
  subscription_items: z.array(SubscriptionItemSchema).nullish(),
  plan_id: z.string().min(1).nullish(),
  plan_quantity: z.number().int().nonnegative().nullish(),
  addons: z.array(z.object({ id: z.string(), quantity: z.number().int().nonnegative().nullish() })).nullish(),
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

/** https://apidocs.chargebee.com/docs/api/customers/customer-object */
export const CustomerSchema = z.object({
  id: z.string().min(1),
  email: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  created_at: Seconds,
  meta_data: MetaDataSchema,
  resource_version: ResourceVersion.nullish(),
});
export type Customer = z.infer<typeof CustomerSchema>;

/** A payment, a refund or a failed attempt. https://apidocs.chargebee.com/docs/api/transactions/transaction-object */
export const TransactionSchema = z.object({
  id: z.string().min(1),
  customer_id: z.string().min(1).nullish(),
  subscription_id: z.string().min(1).nullish(),
  type: z.string(),
  status: z.string().nullish(),
  currency_code: CurrencySchema,
  amount: Amount.nullish(),
  date: Seconds.nullish(),
  resource_version: ResourceVersion.nullish(),
});
export type Transaction = z.infer<typeof TransactionSchema>;

/** The invoice a payment was for; its dunning attempts count the failed ones. https://apidocs.chargebee.com/docs/api/invoices/invoice-object */
const InvoiceSchema = z.object({
  id: z.string().min(1),
  dunning_attempts: z.array(z.object({ attempt: z.number().int().nonnegative() })).nullish(),
});

const SubscriptionContent = z.object({ subscription: SubscriptionSchema, customer: CustomerSchema.nullish() });
const PaymentContent = z.object({
  transaction: TransactionSchema,
  customer: CustomerSchema.nullish(),
  invoice: InvoiceSchema.nullish(),
  subscription: SubscriptionSchema.nullish(),
});
const CustomerContent = z.object({ customer: CustomerSchema });

/**
 * The schema of `content` for each event type the mapping handles. Chargebee's content carries the
 * objects as they are after the event, not what they were before it (`subscription_changed` has no
 * previous state). https://apidocs.chargebee.com/docs/api/events#event_types
 */
export const CONTENT_SCHEMAS = {
  subscription_created: SubscriptionContent,
  subscription_activated: SubscriptionContent,
  subscription_changed: SubscriptionContent,
  subscription_renewed: SubscriptionContent,
  subscription_cancelled: SubscriptionContent,
  subscription_reactivated: SubscriptionContent,
  subscription_paused: SubscriptionContent,
  subscription_resumed: SubscriptionContent,
  subscription_cancellation_scheduled: SubscriptionContent,
  payment_succeeded: PaymentContent,
  payment_failed: PaymentContent,
  payment_refunded: PaymentContent,
  customer_created: CustomerContent,
  customer_changed: CustomerContent,
} as const;

export type ChargebeeEventType = keyof typeof CONTENT_SCHEMAS;

/** A mapped event's type with its validated `content` (`type` narrows `content`). */
export type ChargebeeData = {
  [K in ChargebeeEventType]: { type: K; content: z.infer<(typeof CONTENT_SCHEMAS)[K]> };
}[ChargebeeEventType];

/** The event envelope. https://apidocs.chargebee.com/docs/api/events/event-object */
export const EnvelopeSchema = z.object({
  id: z.string().min(1),
  occurred_at: Seconds,
  event_type: z.string().min(1),
  api_version: z.string().nullish(),
  content: z.custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), "expected an object"),
});
