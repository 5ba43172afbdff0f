import * as z from "zod";
import { IsoDateTime } from "../iso-datetime";

/**
 * The parts of Lemon Squeezy's webhook bodies the mapping reads. A webhook body is a JSON:API
 * resource, `{meta, data: {type, id, attributes}}`, whose `data` is the object the event is about
 * (a Subscription, a Subscription invoice or an Order); `meta` names the event and carries the
 * checkout's `custom_data`. Unknown fields are accepted and dropped, as for Stripe: Lemon Squeezy
 * adds attributes over time, and the verified body travels on unchanged as the message's `raw`.
 * https://docs.lemonsqueezy.com/help/webhooks/webhook-requests
 */

/** Lemon Squeezy ids in attributes (`customer_id`) are integers; the resource's own `data.id` is a string. */
const NumericId = z.number().int().nonnegative();
/** An amount in the currency's smallest unit ("a positive integer in cents"). */
const Amount = z.number().int().nonnegative();
/** ISO 4217, upper-case as Lemon Squeezy sends it (`USD`). */
const Currency = z.string().regex(/^[A-Za-z]{3}$/);

/**
 * `meta`: the event name (also in the X-Event-Name header, which the signature does not cover), the
 * test-mode flag, and the checkout's custom data, a free-form object.
 * https://docs.lemonsqueezy.com/guides/developer-guide/webhooks
 */
export const MetaSchema = z.object({
  event_name: z.string().min(1),
  test_mode: z.boolean().optional(),
  custom_data: z.record(z.string(), z.unknown()).nullish(),
});
export type Meta = z.infer<typeof MetaSchema>;

export const EnvelopeSchema = z.object({
  meta: MetaSchema,
  data: z.object({ type: z.string(), id: z.string().min(1), attributes: z.unknown() }),
});

/** https://docs.lemonsqueezy.com/api/subscriptions/the-subscription-object */
export const SubscriptionSchema = z.object({
  customer_id: NumericId,
  product_name: z.string().nullish(),
  variant_name: z.string().nullish(),
  user_name: z.string().nullish(),
  user_email: z.string().nullish(),
  // on_trial, active, paused, past_due, unpaid, cancelled, expired; a status added later passes through.
  status: z.string().min(1),
  cancelled: z.boolean(),
  trial_ends_at: IsoDateTime.nullish(),
  renews_at: IsoDateTime.nullish(),
  ends_at: IsoDateTime.nullish(),
  // null while there is no subscription item, for example during a free trial.
  first_subscription_item: z.object({ quantity: z.number().int().nonnegative() }).nullish(),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
  test_mode: z.boolean().optional(),
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

/** https://docs.lemonsqueezy.com/api/subscription-invoices/the-subscription-invoice-object */
export const SubscriptionInvoiceSchema = z.object({
  subscription_id: NumericId,
  customer_id: NumericId,
  // initial (the subscription's first payment, also sent as order_created), renewal or updated.
  billing_reason: z.string().nullish(),
  user_name: z.string().nullish(),
  user_email: z.string().nullish(),
  currency: Currency,
  status: z.string(),
  total: Amount,
  refunded_amount: Amount.optional(),
  refunded_at: IsoDateTime.nullish(),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
  test_mode: z.boolean().optional(),
});
export type SubscriptionInvoice = z.infer<typeof SubscriptionInvoiceSchema>;

/** https://docs.lemonsqueezy.com/api/orders/the-order-object */
export const OrderSchema = z.object({
  customer_id: NumericId,
  user_name: z.string().nullish(),
  user_email: z.string().nullish(),
  currency: Currency,
  // pending, failed, paid, refunded, partial_refund, fraudulent.
  status: z.string(),
  total: Amount,
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
  test_mode: z.boolean().optional(),
});
export type Order = z.infer<typeof OrderSchema>;

/**
 * The mapped events: the kind of object each carries, the JSON:API resource type its `data` must
 * have, and the schema of its attributes. https://docs.lemonsqueezy.com/help/webhooks/event-types
 */
const SUBSCRIPTION = { kind: "subscription", type: "subscriptions", schema: SubscriptionSchema } as const;
const INVOICE = { kind: "invoice", type: "subscription-invoices", schema: SubscriptionInvoiceSchema } as const;
export const EVENTS = {
  subscription_created: SUBSCRIPTION,
  subscription_updated: SUBSCRIPTION,
  subscription_cancelled: SUBSCRIPTION,
  subscription_resumed: SUBSCRIPTION,
  subscription_expired: SUBSCRIPTION,
  subscription_paused: SUBSCRIPTION,
  subscription_unpaused: SUBSCRIPTION,
  subscription_payment_success: INVOICE,
  subscription_payment_failed: INVOICE,
  subscription_payment_refunded: INVOICE,
  order_created: { kind: "order", type: "orders", schema: OrderSchema },
} as const;
export type LemonSqueezyEventName = keyof typeof EVENTS;

/** A mapped event's body: `kind` narrows `attributes` to the object the event carries. */
export type LemonSqueezyData = { name: LemonSqueezyEventName; meta: Meta; id: string } & (
  | { kind: "subscription"; attributes: Subscription }
  | { kind: "invoice"; attributes: SubscriptionInvoice }
  | { kind: "order"; attributes: Order }
);
