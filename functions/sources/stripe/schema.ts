import * as z from "zod";

/**
 * The parts of Stripe's objects the default mapping reads. Unknown fields are accepted and dropped
 * (zod's default): Stripe adds fields in every API version, and an unknown field must never turn a
 * webhook into a 400. Dropping rather than keeping them (`looseObject`) spares copying every field of
 * Stripe's wide objects; the verified body itself travels on unchanged as the message's `raw`.
 * https://docs.stripe.com/upgrades#what-changes-does-stripe-consider-to-be-backward-compatible
 */

/**
 * Unix seconds, as Stripe sends every timestamp; at most 9999-12-31T23:59:59Z, so every date has
 * a four-digit-year ISO-8601 form.
 */
const Seconds = z.number().int().nonnegative().max(253_402_300_799);
const Metadata = z.record(z.string(), z.string()).nullish();
export type Metadata = z.infer<typeof Metadata>;

/** An id Stripe sends either as a string or, when the request expanded it, as the object. https://docs.stripe.com/expand */
const Expandable = z.union([z.string(), z.object({ id: z.string() })]);
export type Expandable = z.infer<typeof Expandable>;

/** https://docs.stripe.com/api/customers/object */
export const CustomerSchema = z.object({
  id: z.string(),
  created: Seconds,
  email: z.string().nullish(),
  name: z.string().nullish(),
  delinquent: z.boolean().nullish(),
  metadata: Metadata,
});

/** `customer.deleted` carries the customer as it was; a bare `{id, deleted: true}` is accepted too. */
export const DeletedCustomerSchema = z.object({ id: z.string(), metadata: Metadata });
export type Customer = z.infer<typeof CustomerSchema>;

export const IntervalSchema = z.enum(["day", "week", "month", "year"]);
export type Interval = z.infer<typeof IntervalSchema>;

/** A decimal amount in minor units, as Stripe writes `unit_amount_decimal` ("0.5": half a cent). */
const DecimalText = z.string().regex(/^-?\d+(\.\d+)?$/);

/** https://docs.stripe.com/api/prices/object#price_object-tiers (present only when expanded) */
const TierSchema = z.object({
  up_to: z.number().int().nullable(),
  unit_amount: z.number().int().nullish(),
  unit_amount_decimal: DecimalText.nullish(),
  flat_amount: z.number().int().nullish(),
  flat_amount_decimal: DecimalText.nullish(),
});
export type Tier = z.infer<typeof TierSchema>;

/** https://docs.stripe.com/api/prices/object (a subscription item's price is always recurring) */
const PriceSchema = z.object({
  id: z.string(),
  lookup_key: z.string().nullish(),
  nickname: z.string().nullish(),
  product: Expandable.nullish(),
  // null for tiered prices (the amount then depends on the tiers) and for sub-cent prices, whose
  // amount is only in `unit_amount_decimal`.
  unit_amount: z.number().int().nullable(),
  unit_amount_decimal: DecimalText.nullish(),
  billing_scheme: z.enum(["per_unit", "tiered"]).nullish(),
  tiers_mode: z.enum(["graduated", "volume"]).nullish(),
  tiers: z.array(TierSchema).nullish(),
  recurring: z.object({
    interval: IntervalSchema,
    interval_count: z.number().int().positive(),
    // Metered prices bill what was used: nothing is known of it until the invoice.
    usage_type: z.enum(["licensed", "metered"]).nullish(),
  }),
});
export type Price = z.infer<typeof PriceSchema>;

/** https://docs.stripe.com/api/subscription_items/object (`quantity` is absent for metered prices) */
export const SubscriptionItemSchema = z.object({
  price: PriceSchema,
  quantity: z.number().int().nonnegative().optional(),
  current_period_end: Seconds.optional(),
});

/**
 * https://docs.stripe.com/api/subscriptions/object. API 2025-03-31 moved `current_period_end` from
 * the subscription to its items: https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end
 */
export const SubscriptionSchema = z.object({
  id: z.string(),
  customer: Expandable,
  status: z.string(),
  currency: z.string(),
  created: Seconds.optional(),
  // Stripe does not let a subscription lose its last item. A list embedded in an object holds at
  // most ten entries; `has_more` says there are others (https://docs.stripe.com/api/pagination).
  items: z.object({ data: z.tuple([SubscriptionItemSchema], SubscriptionItemSchema), has_more: z.boolean().optional() }),
  trial_end: Seconds.nullish(),
  canceled_at: Seconds.nullish(),
  ended_at: Seconds.nullish(),
  cancel_at: Seconds.nullish(),
  cancel_at_period_end: z.boolean(),
  current_period_end: Seconds.optional(),
  metadata: Metadata,
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

const SubscriptionDetails = z.object({ metadata: Metadata }).nullish();

/**
 * https://docs.stripe.com/api/invoices/object. API 2025-03-31 moved `subscription_details` under
 * `parent`: https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
 */
export const InvoiceSchema = z.object({
  id: z.string(),
  customer: Expandable.nullable(),
  customer_email: z.string().nullish(),
  customer_name: z.string().nullish(),
  currency: z.string(),
  amount_paid: z.number().int(),
  amount_due: z.number().int().optional(),
  attempt_count: z.number().int().nonnegative(),
  status_transitions: z.object({ paid_at: Seconds.nullish() }),
  metadata: Metadata,
  parent: z.object({ subscription_details: SubscriptionDetails }).nullish(),
  subscription_details: SubscriptionDetails,
});

export type Invoice = z.infer<typeof InvoiceSchema>;

/** https://docs.stripe.com/api/checkout/sessions/object */
export const CheckoutSessionSchema = z.object({
  id: z.string(),
  customer: Expandable.nullable(),
  customer_details: z.object({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
  customer_email: z.string().nullish(),
  client_reference_id: z.string().nullish(),
  metadata: Metadata,
});

/** https://docs.stripe.com/api/charges/object */
export const ChargeSchema = z.object({
  id: z.string(),
  customer: Expandable.nullable(),
  amount_refunded: z.number().int().nonnegative(),
  currency: z.string(),
  metadata: Metadata,
});
export type Charge = z.infer<typeof ChargeSchema>;

/** The schema of `data.object` for each event type the default mapping handles. */
export const OBJECT_SCHEMAS = {
  "customer.created": CustomerSchema,
  "customer.updated": CustomerSchema,
  "customer.deleted": DeletedCustomerSchema,
  "customer.subscription.created": SubscriptionSchema,
  "customer.subscription.updated": SubscriptionSchema,
  "customer.subscription.deleted": SubscriptionSchema,
  "customer.subscription.trial_will_end": SubscriptionSchema,
  "invoice.paid": InvoiceSchema,
  "invoice.payment_succeeded": InvoiceSchema,
  "invoice.payment_failed": InvoiceSchema,
  "checkout.session.completed": CheckoutSessionSchema,
  "charge.refunded": ChargeSchema,
} as const;

export type StripeEventType = keyof typeof OBJECT_SCHEMAS;

/**
 * A mapped event's type with its validated `data.object` (`type` narrows `object`), or a thin
 * event of a mapped type, which names its related object only.
 */
export type StripeData =
  | {
      // `previous`: the event's `previous_attributes` (what an update changed, as it was before).
      [K in StripeEventType]: { type: K; object: z.infer<(typeof OBJECT_SCHEMAS)[K]>; previous?: Record<string, unknown> };
    }[StripeEventType]
  | { type: "thin"; of: StripeEventType; related: { id: string; type: string } };

/**
 * The event envelope. https://docs.stripe.com/api/events/object
 * `data.object` is checked against its type's schema only once the type is known to be mapped.
 */
export const JsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  "expected an object",
);

/**
 * A thin event from an event destination: no object, only `related_object`, which API mode fetches.
 * `created` is an ISO-8601 string here, unlike a snapshot event's seconds.
 * https://docs.stripe.com/event-destinations#thin-payload
 */
export const ThinEventSchema = z.object({
  object: z.literal("v2.core.event"),
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.iso.datetime({ offset: true }),
  livemode: z.boolean(),
  related_object: z.object({ id: z.string().min(1), type: z.string().min(1), url: z.string() }).nullish(),
});
export type ThinEvent = z.infer<typeof ThinEventSchema>;

export const EnvelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: Seconds,
  livemode: z.boolean(),
  api_version: z.string().nullish(),
  data: z.object({
    // Checked as an object here and by its type's own schema later; not copied key by key twice.
    object: JsonObject,
    previous_attributes: JsonObject.nullish(),
  }),
});
