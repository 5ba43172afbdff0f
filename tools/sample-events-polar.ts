import type { SampleOptions } from "./sample-events";

/**
 * Polar samples for `npm run send`: `{type, timestamp, data}` with the Subscription, Order or
 * Customer as Polar's API writes them (the fields of @polar-sh/sdk's models). The customer's
 * `external_id` carries the uid; without one, the event waits for its customer's uid.
 * https://polar.sh/docs/integrate/webhooks/events
 */

type Json = Record<string, unknown>;
const DAY = 86_400;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const ORGANIZATION = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
const PRODUCT = "d8dd2de1-21b7-4a41-8bc3-ce909c0cfe23";
const CUSTOMER = "992fae2a-2a17-4b7a-8d9e-e287cf90131b";
const SUBSCRIPTION = "e5149aae-e521-42b9-b24c-abb3d71eea2e";

function customer(o: SampleOptions): Json {
  return {
    id: CUSTOMER,
    created_at: iso(o.now - 40 * DAY),
    modified_at: iso(o.now - DAY),
    metadata: {},
    external_id: o.uid ?? null,
    email: "ada@example.com",
    email_verified: true,
    type: "individual",
    name: "Ada Lovelace",
    billing_name: "Ada Lovelace",
    billing_address: { line1: "12 St James's Square", line2: null, postal_code: "SW1Y 4JH", city: "London", state: null, country: "GB" },
    tax_id: null,
    locale: "en-GB",
    organization_id: ORGANIZATION,
    deleted_at: null,
    avatar_url: null,
  };
}

const price = (o: SampleOptions): Json => ({
  created_at: iso(o.now - 400 * DAY),
  modified_at: null,
  id: "3b6c6a5a-7e2c-4b8f-9a51-8a6f0f1d2c11",
  source: "catalog",
  amount_type: "fixed",
  price_currency: "usd",
  tax_behavior: "exclusive",
  is_archived: false,
  product_id: PRODUCT,
  price_amount: 4_900,
});

function product(o: SampleOptions): Json {
  return {
    id: PRODUCT,
    created_at: iso(o.now - 400 * DAY),
    modified_at: null,
    trial_interval: null,
    trial_interval_count: null,
    name: "Pro",
    description: "Everything in Starter, for teams.",
    visibility: "public",
    recurring_interval: "month",
    recurring_interval_count: 1,
    meter_interval: null,
    meter_interval_count: null,
    is_recurring: true,
    is_archived: false,
    organization_id: ORGANIZATION,
    metadata: {},
    prices: [price(o)],
    benefits: [],
    medias: [],
    attached_custom_fields: [],
  };
}

function subscription(o: SampleOptions, status: string, cancelAtPeriodEnd = false): Json {
  const periodStart = o.now - 10 * DAY;
  const ended = status === "canceled";
  return {
    created_at: iso(o.now - 40 * DAY),
    modified_at: iso(o.now),
    id: SUBSCRIPTION,
    amount: 14_700,
    currency: "usd",
    recurring_interval: "month",
    recurring_interval_count: 1,
    status,
    current_period_start: iso(periodStart),
    current_period_end: iso(periodStart + 30 * DAY),
    current_meter_period_start: null,
    current_meter_period_end: null,
    trial_start: status === "trialing" ? iso(o.now - 7 * DAY) : null,
    trial_end: status === "trialing" ? iso(o.now + 7 * DAY) : null,
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: cancelAtPeriodEnd || ended ? iso(o.now) : null,
    started_at: iso(o.now - 40 * DAY),
    ends_at: cancelAtPeriodEnd ? iso(periodStart + 30 * DAY) : ended ? iso(o.now) : null,
    ended_at: ended ? iso(o.now) : null,
    pause_at_period_end: false,
    paused_at: null,
    resumes_at: null,
    customer_id: CUSTOMER,
    product_id: PRODUCT,
    discount_id: null,
    checkout_id: "0a0e4c1f-3b1d-4a52-9d0e-8f9a7b6c5d41",
    seats: 3,
    customer_cancellation_reason: cancelAtPeriodEnd ? "too_expensive" : null,
    customer_cancellation_comment: null,
    metadata: {},
    customer: customer(o),
    product: product(o),
    discount: null,
    prices: [price(o)],
    meters: [],
    pending_update: null,
  };
}

function order(o: SampleOptions, refunded: boolean): Json {
  return {
    id: "7f9d3a52-63c4-4f43-9c2f-1d1c5e0a9b10",
    created_at: iso(o.now - 60),
    modified_at: iso(o.now),
    status: refunded ? "refunded" : "paid",
    paid: true,
    subtotal_amount: 14_700,
    discount_amount: 0,
    net_amount: 14_700,
    tax_amount: 2_940,
    total_amount: 17_640,
    applied_balance_amount: 0,
    due_amount: 0,
    refunded_amount: refunded ? 14_700 : 0,
    refunded_tax_amount: refunded ? 2_940 : 0,
    currency: "usd",
    billing_reason: "subscription_cycle",
    billing_name: "Ada Lovelace",
    billing_address: null,
    invoice_number: "POLAR-1042",
    is_invoice_generated: true,
    receipt_number: null,
    customer_id: CUSTOMER,
    product_id: PRODUCT,
    discount_id: null,
    subscription_id: SUBSCRIPTION,
    checkout_id: null,
    metadata: {},
    platform_fee_amount: 0,
    platform_fee_currency: null,
    customer: customer(o),
    product: product(o),
    discount: null,
    subscription: null,
    items: [{ created_at: iso(o.now - 60), modified_at: null, id: "5c4b3a29-1f0e-4d8c-b7a6-9e8d7c6b5a40", label: "Pro", amount: 14_700, tax_amount: 2_940, proration: false, product_price_id: null }],
    description: "Pro",
    refundable_amount: refunded ? 0 : 14_700,
    refundable_tax_amount: refunded ? 0 : 2_940,
  };
}

const SAMPLES: Record<string, (o: SampleOptions) => Json> = {
  "subscription.created": (o) => subscription(o, "active"),
  "subscription.updated": (o) => subscription(o, "active"),
  "subscription.active": (o) => subscription(o, "active"),
  "subscription.canceled": (o) => subscription(o, "active", true),
  "subscription.uncanceled": (o) => subscription(o, "active"),
  "subscription.revoked": (o) => subscription(o, "canceled"),
  "order.paid": (o) => order(o, false),
  "order.refunded": (o) => order(o, true),
  "customer.created": customer,
  "customer.updated": customer,
};

/** The Polar event types `npm run send` has samples of. */
export const POLAR_SAMPLE_TYPES = Object.keys(SAMPLES);

/** A Polar webhook body for `type`, or undefined when there is no sample of it. */
export function polarSample(type: string, o: SampleOptions): Json | undefined {
  const build = SAMPLES[type];
  return build ? { type, timestamp: iso(o.now), data: build(o) } : undefined;
}
