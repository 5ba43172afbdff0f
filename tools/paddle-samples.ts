import { randomBytes } from "node:crypto";

/**
 * Sample Paddle Billing notifications for `npm run send`, in the shapes Paddle documents for
 * notifications API version 1: the envelope (`event_id`, `event_type`, `occurred_at`,
 * `notification_id`, `data`) around a subscription, transaction, customer or adjustment entity,
 * with enough of the surrounding fields to weigh what a real delivery weighs. The subscription,
 * transaction and customer carry `custom_data.fullstory_uid`; adjustments never carry custom data,
 * so theirs resolve through the identity directory (the customer's earlier events).
 * https://developer.paddle.com/webhooks/overview  https://developer.paddle.com/api-reference/subscriptions/overview
 */

type Json = Record<string, unknown>;

interface Options {
  uid?: string;
  /** Seconds since the epoch: `occurred_at`. */
  now: number;
}

const DAY = 86_400;
const CUSTOMER = "ctm_01hv8wt8nffez4p2t6typn4a5j";
const SUBSCRIPTION = "sub_01hv8x29kz0t586xy6zn1a62ny";
const TRANSACTION = "txn_01hv8wptq8987qeep44cyrewp9";
/** Paddle ids: a prefix and 26 lower-case base-32 characters. */
const pid = (prefix: string) => `${prefix}_01${randomBytes(16).toString("hex").slice(0, 24)}`;
/** Paddle writes times with microseconds. */
const at = (seconds: number) => new Date(seconds * 1000).toISOString().replace("Z", "123Z");
const customData = (uid: string | undefined): Json | null => (uid ? { fullstory_uid: uid } : null);

function price(o: Options): Json {
  return {
    id: "pri_01hv0vax6rv18t4tamj848ne4d",
    name: "Monthly (per seat)",
    type: "standard",
    status: "active",
    quantity: { maximum: 100, minimum: 1 },
    tax_mode: "account_setting",
    created_at: at(o.now - 400 * DAY),
    product_id: "pro_01hv0v9jjrt9xzvfbq4yf0rzqz",
    unit_price: { amount: "4900", currency_code: "USD" },
    updated_at: at(o.now - 400 * DAY),
    custom_data: null,
    description: "Pro, billed monthly per seat",
    import_meta: null,
    trial_period: null,
    billing_cycle: { interval: "month", frequency: 1 },
    unit_price_overrides: [],
  };
}

function subscription(o: Options, status: string): Json {
  const start = o.now - 10 * DAY;
  const trialing = status === "trialing";
  return {
    id: SUBSCRIPTION,
    items: [
      {
        price: price(o),
        status: trialing ? "trialing" : "active",
        product: { id: "pro_01hv0v9jjrt9xzvfbq4yf0rzqz", name: "Pro", type: "standard", status: "active", tax_category: "standard", custom_data: null, image_url: null, description: "Pro plan", created_at: at(o.now - 400 * DAY), updated_at: at(o.now - 400 * DAY) },
        quantity: 3,
        recurring: true,
        created_at: at(start),
        updated_at: at(o.now),
        trial_dates: trialing ? { starts_at: at(start), ends_at: at(o.now + 4 * DAY) } : null,
        next_billed_at: at(start + 30 * DAY),
        previously_billed_at: at(start),
      },
    ],
    status,
    discount: null,
    paused_at: status === "paused" ? at(o.now) : null,
    address_id: "add_01hv8gq3318ktkfengj2r75gfx",
    created_at: at(o.now - 90 * DAY),
    started_at: at(o.now - 90 * DAY),
    updated_at: at(o.now),
    business_id: null,
    canceled_at: status === "canceled" ? at(o.now) : null,
    custom_data: customData(o.uid),
    customer_id: CUSTOMER,
    import_meta: null,
    billing_cycle: { interval: "month", frequency: 1 },
    currency_code: "USD",
    next_billed_at: status === "canceled" || status === "paused" ? null : at(start + 30 * DAY),
    billing_details: null,
    collection_mode: "automatic",
    first_billed_at: at(o.now - 90 * DAY),
    scheduled_change: null,
    current_billing_period: status === "canceled" || status === "paused" ? null : { starts_at: at(start), ends_at: at(start + 30 * DAY) },
  };
}

function transaction(o: Options, completed: boolean): Json {
  const totals = { subtotal: "14700", tax: "2940", discount: "0", total: "17640", credit: "0", credit_to_balance: "0", balance: "0", grand_total: "17640", fee: completed ? "932" : null, earnings: completed ? "13768" : null, currency_code: "USD" };
  return {
    id: TRANSACTION,
    items: [{ price: price(o), quantity: 3, proration: null }],
    origin: "subscription_recurring",
    status: completed ? "completed" : "past_due",
    details: {
      totals,
      line_items: [{ id: "txnitm_01hv8wt98jahpbm1t1tzr06z6n", price_id: "pri_01hv0vax6rv18t4tamj848ne4d", quantity: 3, totals: { subtotal: "14700", tax: "2940", discount: "0", total: "17640" }, tax_rate: "0.2", unit_totals: { subtotal: "4900", tax: "980", discount: "0", total: "5880" } }],
      payout_totals: null,
      tax_rates_used: [{ tax_rate: "0.2", totals: { subtotal: "14700", tax: "2940", discount: "0", total: "17640" } }],
      adjusted_totals: { subtotal: "14700", tax: "2940", total: "17640", grand_total: "17640", fee: "0", earnings: "0", currency_code: "USD" },
    },
    checkout: { url: "https://example.com/pay?_ptxn=txn_01hv8wptq8987qeep44cyrewp9" },
    payments: completed
      ? [{ amount: "17640", status: "captured", created_at: at(o.now - 5), error_code: null, captured_at: at(o.now - 3), method_details: { card: { type: "visa", last4: "4242", expiry_year: 2030, expiry_month: 12, cardholder_name: "Ada Lovelace" }, type: "card" }, payment_method_id: "paymtd_01hv8wt8r5a2bkkyxt4xb2a6fx", payment_attempt_id: "0ae1b0b1-9a2a-4dd1-8f2e-3d8f2a6c1b10", stored_payment_method_id: "0ae1b0b1-9a2a-4dd1-8f2e-3d8f2a6c1b11" }]
      : [
          { amount: "17640", status: "error", created_at: at(o.now - 5), error_code: "declined", captured_at: null, method_details: { card: { type: "visa", last4: "0002", expiry_year: 2030, expiry_month: 12, cardholder_name: "Ada Lovelace" }, type: "card" }, payment_method_id: "paymtd_01hv8wt8r5a2bkkyxt4xb2a6fx", payment_attempt_id: "0ae1b0b1-9a2a-4dd1-8f2e-3d8f2a6c1b12", stored_payment_method_id: "0ae1b0b1-9a2a-4dd1-8f2e-3d8f2a6c1b13" },
          { amount: "17640", status: "error", created_at: at(o.now - 3 * DAY), error_code: "declined", captured_at: null, method_details: { card: { type: "visa", last4: "0002", expiry_year: 2030, expiry_month: 12, cardholder_name: "Ada Lovelace" }, type: "card" }, payment_method_id: "paymtd_01hv8wt8r5a2bkkyxt4xb2a6fx", payment_attempt_id: "0ae1b0b1-9a2a-4dd1-8f2e-3d8f2a6c1b14", stored_payment_method_id: "0ae1b0b1-9a2a-4dd1-8f2e-3d8f2a6c1b15" },
        ],
    billed_at: at(o.now - 6),
    address_id: "add_01hv8gq3318ktkfengj2r75gfx",
    created_at: at(o.now - 10),
    invoice_id: completed ? "inv_01hv8x29nsh54c2pgt0hnq0zkx" : null,
    updated_at: at(o.now),
    business_id: null,
    custom_data: customData(o.uid),
    customer_id: CUSTOMER,
    discount_id: null,
    currency_code: "USD",
    billing_period: { starts_at: at(o.now), ends_at: at(o.now + 30 * DAY) },
    invoice_number: completed ? "325-10566" : null,
    billing_details: null,
    collection_mode: "automatic",
    subscription_id: SUBSCRIPTION,
  };
}

function customer(o: Options): Json {
  return {
    id: CUSTOMER,
    name: "Ada Lovelace",
    email: "ada@example.com",
    locale: "en",
    status: "active",
    custom_data: customData(o.uid),
    created_at: at(o.now - 90 * DAY),
    updated_at: at(o.now),
    import_meta: null,
    marketing_consent: false,
  };
}

function adjustment(o: Options, status: string): Json {
  return {
    id: "adj_01hv8y0dzj3x6fxbc9n9kyvyn3",
    items: [{ id: "adjitm_01hv8y0dzj3x6fxbc9nagk3h3z", type: "partial", amount: "5880", totals: { tax: "980", total: "5880", subtotal: "4900" }, item_id: "txnitm_01hv8wt98jahpbm1t1tzr06z6n", proration: null }],
    action: "refund",
    type: "partial",
    reason: "Customer asked for one seat back",
    status,
    totals: { fee: "311", tax: "980", total: "5880", earnings: "4589", subtotal: "4900", currency_code: "USD", retained_fee: "0" },
    created_at: at(o.now - 600),
    updated_at: at(o.now),
    customer_id: CUSTOMER,
    currency_code: "USD",
    payout_totals: null,
    transaction_id: TRANSACTION,
    subscription_id: SUBSCRIPTION,
    credit_applied_to_balance: null,
  };
}

const DATA: Record<string, (o: Options) => Json> = {
  "subscription.created": (o) => subscription(o, "active"),
  "subscription.updated": (o) => subscription(o, "active"),
  "subscription.activated": (o) => subscription(o, "active"),
  "subscription.trialing": (o) => subscription(o, "trialing"),
  "subscription.past_due": (o) => subscription(o, "past_due"),
  "subscription.paused": (o) => subscription(o, "paused"),
  "subscription.resumed": (o) => subscription(o, "active"),
  "subscription.canceled": (o) => subscription(o, "canceled"),
  "transaction.completed": (o) => transaction(o, true),
  "transaction.payment_failed": (o) => transaction(o, false),
  "customer.created": customer,
  "customer.updated": customer,
  "adjustment.created": (o) => adjustment(o, "approved"),
  "adjustment.updated": (o) => adjustment(o, "approved"),
};

/** The Paddle event types `npm run send` has samples of. */
export const PADDLE_SAMPLE_TYPES = Object.keys(DATA);

/** A Paddle notification of `type`, or undefined when there is no sample of it. */
export function paddleSample(type: string, o: Options): Json | undefined {
  const build = DATA[type];
  if (!build) return undefined;
  return { event_id: pid("evt"), event_type: type, occurred_at: at(o.now), notification_id: pid("ntf"), data: build(o) };
}
