import { randomUUID } from "node:crypto";
import type { SampleOptions } from "./sample-events";

/**
 * Lemon Squeezy samples for `npm run send`: JSON:API bodies as Lemon Squeezy posts them, `{meta,
 * data: {type, id, attributes, relationships, links}}`, from a test-mode store. The checkout's
 * `custom_data` carries the uid; without one, the event waits for its customer's uid.
 * https://docs.lemonsqueezy.com/guides/developer-guide/webhooks
 */

type Json = Record<string, unknown>;
const DAY = 86_400;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", ".000000Z");
const API = "https://api.lemonsqueezy.com/v1";

/** JSON:API relationship links of a resource, as every Lemon Squeezy object carries them. */
function relationships(type: string, id: string, names: readonly string[]): Json {
  return Object.fromEntries(names.map((name) => [name, { links: { related: `${API}/${type}/${id}/${name}`, self: `${API}/${type}/${id}/relationships/${name}` } }]));
}

function subscription(o: SampleOptions, status: string): Json {
  const cancelled = status === "cancelled" || status === "expired";
  return {
    store_id: 24_905,
    customer_id: 723_823,
    order_id: 692_221,
    order_item_id: 686_230,
    product_id: 70_871,
    variant_id: 111_545,
    product_name: "Pro",
    variant_name: "Monthly",
    user_name: "Ada Lovelace",
    user_email: "ada@example.com",
    status,
    status_formatted: status.charAt(0).toUpperCase() + status.slice(1).replace("_", " "),
    card_brand: "visa",
    card_last_four: "4242",
    payment_processor: "stripe",
    pause: status === "paused" ? { mode: "void", resumes_at: iso(o.now + 30 * DAY) } : null,
    cancelled,
    trial_ends_at: status === "on_trial" ? iso(o.now + 7 * DAY) : null,
    billing_anchor: new Date(o.now * 1000).getUTCDate(),
    first_subscription_item: { id: 552_082, subscription_id: 167_464, price_id: 183_514, quantity: 3, is_usage_based: false, created_at: iso(o.now - 40 * DAY), updated_at: iso(o.now) },
    urls: {
      update_payment_method: "https://example.lemonsqueezy.com/subscription/167464/payment-details?expires=1&signature=sample",
      customer_portal: "https://example.lemonsqueezy.com/billing?expires=1&test_mode=1&user=1&signature=sample",
      customer_portal_update_subscription: "https://example.lemonsqueezy.com/billing/167464/update?expires=1&user=1&signature=sample",
    },
    renews_at: iso(o.now + 20 * DAY),
    ends_at: cancelled ? iso(o.now + 20 * DAY) : null,
    created_at: iso(o.now - 40 * DAY),
    updated_at: iso(o.now),
    test_mode: true,
  };
}

function invoice(o: SampleOptions, status: "paid" | "pending" | "refunded"): Json {
  const refunded = status === "refunded";
  return {
    store_id: 24_905,
    subscription_id: 167_464,
    customer_id: 723_823,
    user_name: "Ada Lovelace",
    user_email: "ada@example.com",
    billing_reason: "renewal",
    card_brand: "visa",
    card_last_four: "4242",
    currency: "USD",
    currency_rate: "1.00000000",
    status,
    status_formatted: status.charAt(0).toUpperCase() + status.slice(1),
    refunded,
    refunded_at: refunded ? iso(o.now) : null,
    subtotal: 14_700,
    discount_total: 0,
    tax: 0,
    tax_inclusive: false,
    total: 14_700,
    refunded_amount: refunded ? 14_700 : 0,
    subtotal_usd: 14_700,
    discount_total_usd: 0,
    tax_usd: 0,
    total_usd: 14_700,
    refunded_amount_usd: refunded ? 14_700 : 0,
    subtotal_formatted: "$147.00",
    discount_total_formatted: "$0.00",
    tax_formatted: "$0.00",
    total_formatted: "$147.00",
    refunded_amount_formatted: refunded ? "$147.00" : "$0.00",
    urls: { invoice_url: status === "pending" ? null : "https://app.lemonsqueezy.com/my-orders/sample/subscription-invoice/383371?signature=sample" },
    created_at: iso(o.now - 60),
    updated_at: iso(o.now),
    test_mode: true,
  };
}

function order(o: SampleOptions): Json {
  return {
    store_id: 24_905,
    customer_id: 723_823,
    identifier: "636f855c-1fb9-4c07-b75c-3a10afef010a",
    order_number: 1_042,
    user_name: "Ada Lovelace",
    user_email: "ada@example.com",
    currency: "USD",
    currency_rate: "1.0000",
    subtotal: 14_700,
    setup_fee: 0,
    discount_total: 0,
    tax: 2_940,
    total: 17_640,
    subtotal_usd: 14_700,
    setup_fee_usd: 0,
    discount_total_usd: 0,
    tax_usd: 2_940,
    total_usd: 17_640,
    tax_name: "VAT",
    tax_rate: "20.00",
    tax_inclusive: false,
    status: "paid",
    status_formatted: "Paid",
    refunded: false,
    refunded_at: null,
    subtotal_formatted: "$147.00",
    discount_total_formatted: "$0.00",
    tax_formatted: "$29.40",
    total_formatted: "$176.40",
    first_order_item: { id: 686_230, order_id: 692_221, product_id: 70_871, variant_id: 111_545, product_name: "Pro", variant_name: "Monthly", price: 4_900, quantity: 3, created_at: iso(o.now), updated_at: iso(o.now), test_mode: true },
    urls: { receipt: "https://app.lemonsqueezy.com/my-orders/636f855c-1fb9-4c07-b75c-3a10afef010a?signature=sample" },
    created_at: iso(o.now),
    updated_at: iso(o.now),
    test_mode: true,
  };
}

const RESOURCES = {
  subscription: { type: "subscriptions", id: "167464", related: ["store", "customer", "order", "order-item", "product", "variant", "subscription-items", "subscription-invoices"] },
  invoice: { type: "subscription-invoices", id: "383371", related: ["store", "subscription", "customer"] },
  order: { type: "orders", id: "692221", related: ["store", "customer", "order-items", "subscriptions", "license-keys", "discount-redemptions"] },
} as const;

const SAMPLES: Record<string, [keyof typeof RESOURCES, (o: SampleOptions) => Json]> = {
  subscription_created: ["subscription", (o) => subscription(o, "active")],
  subscription_updated: ["subscription", (o) => subscription(o, "active")],
  subscription_cancelled: ["subscription", (o) => subscription(o, "cancelled")],
  subscription_resumed: ["subscription", (o) => subscription(o, "active")],
  subscription_expired: ["subscription", (o) => subscription(o, "expired")],
  subscription_paused: ["subscription", (o) => subscription(o, "paused")],
  subscription_unpaused: ["subscription", (o) => subscription(o, "active")],
  subscription_payment_success: ["invoice", (o) => invoice(o, "paid")],
  subscription_payment_failed: ["invoice", (o) => invoice(o, "pending")],
  subscription_payment_refunded: ["invoice", (o) => invoice(o, "refunded")],
  order_created: ["order", order],
};

/** The Lemon Squeezy event names `npm run send` has samples of. */
export const LEMONSQUEEZY_SAMPLE_TYPES = Object.keys(SAMPLES);

/** A Lemon Squeezy webhook body for `eventName`, or undefined when there is no sample of it. */
export function lemonSqueezySample(eventName: string, o: SampleOptions): Json | undefined {
  const sample = SAMPLES[eventName];
  if (!sample) return undefined;
  const [kind, build] = sample;
  const { type, id, related } = RESOURCES[kind];
  return {
    meta: {
      test_mode: true,
      event_name: eventName,
      webhook_id: randomUUID(),
      ...(o.uid ? { custom_data: { fullstory_uid: o.uid } } : {}),
    },
    data: { type, id, attributes: build(o), relationships: relationships(type, id, related), links: { self: `${API}/${type}/${id}` } },
  };
}
