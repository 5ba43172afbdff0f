import * as z from "zod";

/**
 * The parts of Paddle Billing's entities the mapping reads, as notifications (API version 1) carry
 * them. Unknown fields are accepted and dropped: Paddle adds fields without a new version.
 * https://developer.paddle.com/webhooks/overview  https://developer.paddle.com/api-reference/about/versioning
 */

/** 9999-12-31T23:59:59.999Z: every accepted time has a four-digit-year ISO-8601 form. */
const MAX_MS = 253_402_300_799_999;

/** An RFC 3339 time, as Paddle writes every time (`2024-04-12T10:18:49.738972Z`, microseconds). */
export const TimeSchema = z.iso.datetime({ offset: true }).refine((value) => {
  const ms = Date.parse(value);
  return ms >= 0 && ms <= MAX_MS;
}, "expected a time in years 1970-9999");

/**
 * An amount in the currency's lowest denomination, which Paddle sends as a string of digits
 * ("3240" is 32.40 USD). https://developer.paddle.com/concepts/money  Fifteen digits keep it exact
 * as a JavaScript number.
 */
export const AmountSchema = z.string().regex(/^\d{1,15}$/, "expected an amount in the lowest denomination, as digits");

/** ISO 4217, upper case in Paddle's payloads. */
const CurrencySchema = z.string().regex(/^[A-Za-z]{3}$/, "expected a three-letter currency code");

/** `custom_data`: any JSON object the team attached (null when none). */
const CustomDataSchema = z.record(z.string(), z.unknown()).nullish();

/** https://developer.paddle.com/api-reference/prices/overview (`billing_cycle` null: a one-time price) */
const BillingCycleSchema = z.object({ interval: z.enum(["day", "week", "month", "year"]), frequency: z.number().int().positive() });
export type BillingCycle = z.infer<typeof BillingCycleSchema>;

const MoneySchema = z.object({ amount: AmountSchema, currency_code: CurrencySchema });

const PriceSchema = z.object({
  id: z.string().min(1),
  product_id: z.string().min(1).nullish(),
  billing_cycle: BillingCycleSchema.nullish(),
  unit_price: MoneySchema,
});

/**
 * A subscription item. `product` is the product as it was when the item was added, present in
 * current payloads; `trial_dates` is set while (and after) the item has a trial.
 * https://developer.paddle.com/api-reference/subscriptions/overview
 */
const SubscriptionItemSchema = z.object({
  quantity: z.number().int().nonnegative(),
  recurring: z.boolean().nullish(),
  price: PriceSchema,
  product: z.object({ id: z.string().min(1), name: z.string().nullish() }).nullish(),
  trial_dates: z.object({ starts_at: TimeSchema.nullish(), ends_at: TimeSchema.nullish() }).nullish(),
});

/** https://developer.paddle.com/api-reference/subscriptions/overview */
export const SubscriptionSchema = z.object({
  id: z.string().min(1),
  status: z.enum(["active", "canceled", "past_due", "paused", "trialing"]),
  customer_id: z.string().min(1),
  currency_code: CurrencySchema,
  billing_cycle: BillingCycleSchema,
  current_billing_period: z.object({ starts_at: TimeSchema.nullish(), ends_at: TimeSchema.nullish() }).nullish(),
  // When Paddle first billed the subscription: null while it has not been (in its trial).
  first_billed_at: TimeSchema.nullish(),
  // `action` is cancel, pause or resume; a scheduled cancellation ends the subscription at the period's end.
  scheduled_change: z.object({ action: z.string(), effective_at: TimeSchema.nullish() }).nullish(),
  canceled_at: TimeSchema.nullish(),
  custom_data: CustomDataSchema,
  // Paddle refuses to leave a subscription without items.
  items: z.array(SubscriptionItemSchema).min(1),
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

/** One payment attempt of a transaction, newest first. https://developer.paddle.com/api-reference/transactions/overview */
const PaymentAttemptSchema = z.object({ status: z.string(), captured_at: TimeSchema.nullish() });

/** https://developer.paddle.com/api-reference/transactions/overview */
export const TransactionSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  customer_id: z.string().min(1).nullish(),
  subscription_id: z.string().min(1).nullish(),
  currency_code: CurrencySchema,
  custom_data: CustomDataSchema,
  billed_at: TimeSchema.nullish(),
  // `grand_total`: what the customer pays once credits are applied.
  details: z.object({ totals: z.object({ grand_total: AmountSchema, currency_code: CurrencySchema }) }),
  payments: z.array(PaymentAttemptSchema),
});
export type Transaction = z.infer<typeof TransactionSchema>;

/** https://developer.paddle.com/api-reference/customers/overview */
export const CustomerSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  email: z.string().nullish(),
  created_at: TimeSchema,
  custom_data: CustomDataSchema,
});
export type Customer = z.infer<typeof CustomerSchema>;

/**
 * Refunds, credits and chargebacks are adjustments; a refund writes only once `approved` (a refund
 * needs Paddle's approval first). https://developer.paddle.com/api-reference/adjustments/overview
 */
export const AdjustmentSchema = z.object({
  id: z.string().min(1),
  action: z.string(),
  status: z.string(),
  customer_id: z.string().min(1),
  transaction_id: z.string().min(1).nullish(),
  subscription_id: z.string().min(1).nullish(),
  currency_code: CurrencySchema,
  totals: z.object({ total: AmountSchema, currency_code: CurrencySchema }),
  updated_at: TimeSchema.nullish(),
});
export type Adjustment = z.infer<typeof AdjustmentSchema>;

/** The schema of `data` for each event type the mapping handles. https://developer.paddle.com/webhooks/overview */
export const DATA_SCHEMAS = {
  "subscription.created": SubscriptionSchema,
  "subscription.updated": SubscriptionSchema,
  "subscription.activated": SubscriptionSchema,
  "subscription.trialing": SubscriptionSchema,
  "subscription.past_due": SubscriptionSchema,
  "subscription.paused": SubscriptionSchema,
  "subscription.resumed": SubscriptionSchema,
  "subscription.canceled": SubscriptionSchema,
  "transaction.completed": TransactionSchema,
  "transaction.payment_failed": TransactionSchema,
  "customer.created": CustomerSchema,
  "customer.updated": CustomerSchema,
  "adjustment.created": AdjustmentSchema,
  "adjustment.updated": AdjustmentSchema,
} as const;

export type PaddleEventType = keyof typeof DATA_SCHEMAS;

/** A mapped event's type with its validated `data` (`type` narrows `data`). */
export type PaddleData = {
  [K in PaddleEventType]: { type: K; data: z.infer<(typeof DATA_SCHEMAS)[K]> };
}[PaddleEventType];

/**
 * The notification envelope (notifications API version 1). `event_id` is the event's (shared by
 * every destination's notification of it); `notification_id` this delivery's.
 * https://developer.paddle.com/api-reference/notifications/overview
 */
export const EnvelopeSchema = z.object({
  event_id: z.string().min(1),
  event_type: z.string().min(1),
  occurred_at: TimeSchema,
  notification_id: z.string().nullish(),
  data: z.custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), "expected an object"),
});
