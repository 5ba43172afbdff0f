/**
 * Polar webhook payloads for tests, in the shape Polar documents for its webhook events
 * (https://polar.sh/docs/integrate/webhooks/events) and its official SDK models (`@polar-sh/sdk`,
 * src/models/components: subscription.ts, order.ts, customer.ts): complete enough that the SDK's
 * own `validateEvent` parses every one. Values are made up; tests override what they check.
 */
type Json = Record<string, unknown>;

export const CUSTOMER_ID = "992fae2a-2a17-4b7a-8d9e-e287cf90131b";
export const SUBSCRIPTION_ID = "e5149aae-e521-42b9-b24c-abb3d71eea2e";
export const ORGANIZATION_ID = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
export const PRODUCT_ID = "d8dd2de1-21b7-4a41-8bc3-ce909c0cfe23";
/** 2025-01-01T00:00:00Z: when the customer and subscription were created. */
export const CREATED = "2025-01-01T00:00:00Z";
/** 2025-02-01T00:00:00Z: the default event `timestamp`. */
export const EVENT_AT = "2025-02-01T00:00:00.000Z";

/** A Polar Customer (`@polar-sh/sdk` customer.ts): an individual, with the team's own id in `external_id`. */
export function polarCustomer(overrides: Json = {}): Json {
  return {
    id: CUSTOMER_ID,
    created_at: CREATED,
    modified_at: null,
    metadata: {},
    external_id: "user_ada",
    email: "ada@example.com",
    email_verified: true,
    type: "individual",
    name: "Ada Lovelace",
    billing_name: null,
    billing_address: { line1: null, line2: null, postal_code: null, city: null, state: null, country: "GB" },
    tax_id: null,
    locale: null,
    organization_id: ORGANIZATION_ID,
    deleted_at: null,
    avatar_url: null,
    ...overrides,
  };
}

/** A product with one fixed monthly price of `amount` cents. */
export function polarProduct(overrides: Json = {}, amount = 4900): Json {
  return {
    id: PRODUCT_ID,
    created_at: CREATED,
    modified_at: null,
    trial_interval: null,
    trial_interval_count: null,
    name: "Pro",
    description: null,
    visibility: "public",
    recurring_interval: "month",
    recurring_interval_count: 1,
    meter_interval: null,
    meter_interval_count: null,
    is_recurring: true,
    is_archived: false,
    organization_id: ORGANIZATION_ID,
    metadata: {},
    prices: [polarPrice(amount)],
    benefits: [],
    medias: [],
    attached_custom_fields: [],
    ...overrides,
  };
}

function polarPrice(amount: number): Json {
  return {
    created_at: CREATED,
    modified_at: null,
    id: "3b6c6a5a-7e2c-4b8f-9a51-8a6f0f1d2c11",
    source: "catalog",
    amount_type: "fixed",
    price_currency: "usd",
    tax_behavior: null,
    is_archived: false,
    product_id: PRODUCT_ID,
    price_amount: amount,
  };
}

/**
 * A Polar Subscription, active, monthly, 3 seats at $49 (amount 14 700 cents); `overrides` replace
 * top-level fields.
 */
export function polarSubscription(overrides: Json = {}): Json {
  return {
    created_at: CREATED,
    modified_at: EVENT_AT,
    id: SUBSCRIPTION_ID,
    amount: 14_700,
    currency: "usd",
    recurring_interval: "month",
    recurring_interval_count: 1,
    status: "active",
    current_period_start: "2025-01-15T00:00:00Z",
    current_period_end: "2025-02-15T00:00:00Z",
    current_meter_period_start: null,
    current_meter_period_end: null,
    trial_start: null,
    trial_end: null,
    cancel_at_period_end: false,
    canceled_at: null,
    started_at: CREATED,
    ends_at: null,
    ended_at: null,
    pause_at_period_end: false,
    paused_at: null,
    resumes_at: null,
    customer_id: CUSTOMER_ID,
    product_id: PRODUCT_ID,
    discount_id: null,
    checkout_id: null,
    seats: 3,
    customer_cancellation_reason: null,
    customer_cancellation_comment: null,
    metadata: {},
    customer: polarCustomer(),
    product: polarProduct({}, 4_900),
    discount: null,
    prices: [polarPrice(4_900)],
    meters: [],
    pending_update: null,
    ...overrides,
  };
}

/** A paid Polar Order of $58.80 ($49 + $9.80 tax) for the subscription; `overrides` replace top-level fields. */
export function polarOrder(overrides: Json = {}): Json {
  return {
    id: "7f9d3a52-63c4-4f43-9c2f-1d1c5e0a9b10",
    created_at: EVENT_AT,
    modified_at: null,
    status: "paid",
    paid: true,
    subtotal_amount: 4_900,
    discount_amount: 0,
    net_amount: 4_900,
    tax_amount: 980,
    total_amount: 5_880,
    applied_balance_amount: 0,
    due_amount: 0,
    refunded_amount: 0,
    refunded_tax_amount: 0,
    currency: "usd",
    billing_reason: "subscription_cycle",
    billing_name: "Ada Lovelace",
    billing_address: null,
    invoice_number: "POLAR-0001",
    is_invoice_generated: false,
    receipt_number: null,
    customer_id: CUSTOMER_ID,
    product_id: PRODUCT_ID,
    discount_id: null,
    subscription_id: SUBSCRIPTION_ID,
    checkout_id: null,
    metadata: {},
    platform_fee_amount: 0,
    platform_fee_currency: null,
    customer: polarCustomer(),
    product: polarProduct(),
    discount: null,
    subscription: null,
    items: [
      { created_at: EVENT_AT, modified_at: null, id: "5c4b3a29-1f0e-4d8c-b7a6-9e8d7c6b5a40", label: "Pro", amount: 4_900, tax_amount: 980, proration: false, product_price_id: null },
    ],
    description: "Pro",
    refundable_amount: 4_900,
    refundable_tax_amount: 980,
    ...overrides,
  };
}

/** The envelope Polar posts: `{type, timestamp, data}`. */
export function polarEvent(type: string, data: Json, timestamp: string = EVENT_AT): Json {
  return { type, timestamp, data };
}
