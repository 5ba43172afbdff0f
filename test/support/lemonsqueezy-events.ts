/**
 * Lemon Squeezy webhook bodies for tests: JSON:API resources `{meta, data: {type, id, attributes}}`
 * following the examples Lemon Squeezy documents for its webhook events and objects
 * (https://docs.lemonsqueezy.com/guides/developer-guide/webhooks,
 * https://docs.lemonsqueezy.com/api/subscriptions/the-subscription-object,
 * https://docs.lemonsqueezy.com/api/subscription-invoices/the-subscription-invoice-object,
 * https://docs.lemonsqueezy.com/api/orders/the-order-object). Values are made up; tests override
 * what they check.
 */
type Json = Record<string, unknown>;

export const CUSTOMER_ID = 2_004;
export const SUBSCRIPTION_ID = "1674641";
/** 2025-01-01T00:00:00Z: when the subscription was created. */
export const CREATED = "2025-01-01T00:00:00.000000Z";
/** 2025-02-01T00:00:00Z: the objects' default `updated_at` (Lemon Squeezy writes six fraction digits). */
export const UPDATED = "2025-02-01T00:00:00.000000Z";

const links = (type: string, id: string): Json => ({ self: `https://api.lemonsqueezy.com/v1/${type}/${id}` });

/** A Subscription's attributes: active, renewing monthly on the 15th, three seats. */
export function lsSubscription(overrides: Json = {}): Json {
  return {
    store_id: 249_054,
    customer_id: CUSTOMER_ID,
    order_id: 6_922_210,
    order_item_id: 6_862_308,
    product_id: 708_718,
    variant_id: 1_115_451,
    product_name: "Pro",
    variant_name: "Default",
    user_name: "Ada Lovelace",
    user_email: "ada@example.com",
    status: "active",
    status_formatted: "Active",
    card_brand: "visa",
    card_last_four: "4242",
    payment_processor: "stripe",
    pause: null,
    cancelled: false,
    trial_ends_at: null,
    billing_anchor: 15,
    first_subscription_item: {
      id: 5_520_826,
      subscription_id: Number(SUBSCRIPTION_ID),
      price_id: 1_835_146,
      quantity: 3,
      is_usage_based: false,
      created_at: CREATED,
      updated_at: UPDATED,
    },
    urls: {
      update_payment_method: "https://example.lemonsqueezy.com/subscription/1674641/payment-details?expires=1&signature=x",
      customer_portal: "https://example.lemonsqueezy.com/billing?expires=1&signature=x",
      customer_portal_update_subscription: "https://example.lemonsqueezy.com/billing/1674641/update?expires=1&signature=x",
    },
    renews_at: "2025-02-15T00:00:00.000000Z",
    ends_at: null,
    created_at: CREATED,
    updated_at: UPDATED,
    test_mode: false,
    ...overrides,
  };
}

/** A Subscription invoice's attributes: a paid renewal of $147 ($49 × 3), no tax. */
export function lsSubscriptionInvoice(overrides: Json = {}): Json {
  return {
    store_id: 249_054,
    subscription_id: Number(SUBSCRIPTION_ID),
    customer_id: CUSTOMER_ID,
    user_name: "Ada Lovelace",
    user_email: "ada@example.com",
    billing_reason: "renewal",
    card_brand: "visa",
    card_last_four: "4242",
    currency: "USD",
    currency_rate: "1.00000000",
    status: "paid",
    status_formatted: "Paid",
    refunded: false,
    refunded_at: null,
    subtotal: 14_700,
    discount_total: 0,
    tax: 0,
    tax_inclusive: false,
    total: 14_700,
    refunded_amount: 0,
    subtotal_usd: 14_700,
    discount_total_usd: 0,
    tax_usd: 0,
    total_usd: 14_700,
    refunded_amount_usd: 0,
    subtotal_formatted: "$147.00",
    discount_total_formatted: "$0.00",
    tax_formatted: "$0.00",
    total_formatted: "$147.00",
    refunded_amount_formatted: "$0.00",
    urls: { invoice_url: "https://app.lemonsqueezy.com/my-orders/x/subscription-invoice/3833712?signature=x" },
    created_at: UPDATED,
    updated_at: UPDATED,
    test_mode: false,
    ...overrides,
  };
}

/** An Order's attributes: paid, $11.99 ($9.99 + $2.00 VAT). */
export function lsOrder(overrides: Json = {}): Json {
  return {
    store_id: 249_054,
    customer_id: CUSTOMER_ID,
    identifier: "636f855c-1fb9-4c07-b75c-3a10afef010a",
    order_number: 1,
    user_name: "Ada Lovelace",
    user_email: "ada@example.com",
    currency: "USD",
    currency_rate: "1.0000",
    subtotal: 999,
    discount_total: 0,
    tax: 200,
    total: 1_199,
    subtotal_usd: 999,
    discount_total_usd: 0,
    tax_usd: 200,
    total_usd: 1_199,
    tax_name: "VAT",
    tax_rate: "20.00",
    status: "paid",
    status_formatted: "Paid",
    refunded: false,
    refunded_at: null,
    first_order_item: { id: 1, order_id: 1, product_id: 708_718, variant_id: 1_115_451, product_name: "Pro", variant_name: "Default", price: 999 },
    urls: { receipt: "https://app.lemonsqueezy.com/my-orders/636f855c?signature=x" },
    created_at: UPDATED,
    updated_at: UPDATED,
    test_mode: false,
    ...overrides,
  };
}

/** The resource type each kind of object is sent as. */
const RESOURCE: Record<string, string> = { subscription: "subscriptions", invoice: "subscription-invoices", order: "orders" };

/**
 * A webhook body for `eventName` about a `kind` object: `meta` carries the event name, test mode,
 * the webhook's id and the checkout's custom data (`fullstory_uid` by default).
 */
export function lemonSqueezyEvent(eventName: string, kind: "subscription" | "invoice" | "order", attributes: Json, meta: Json = {}): Json {
  const type = RESOURCE[kind] as string;
  const id = kind === "subscription" ? SUBSCRIPTION_ID : "3833712";
  return {
    meta: { test_mode: false, event_name: eventName, webhook_id: "b280274a-1932-48a8-bc0d-7795b2e32d81", custom_data: { fullstory_uid: "user_ada" }, ...meta },
    data: { type, id, attributes, relationships: {}, links: links(type, id) },
  };
}
