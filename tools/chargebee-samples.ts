import { randomBytes } from "node:crypto";

/**
 * Sample Chargebee webhook events for `npm run send`, in the shape Chargebee documents for API v2:
 * an event (`id`, `occurred_at`, `source`, `object`, `api_version`, `event_type`, `content`) whose
 * content holds the subscription, customer, card, invoice or transaction, with enough of the
 * surrounding fields to weigh what a real delivery weighs. The customer's id is the Fullstory uid
 * (CHARGEBEE_UID_FIELD=id, the default).
 * https://apidocs.chargebee.com/docs/api/events  https://apidocs.chargebee.com/docs/api/subscriptions/subscription-object
 */

type Json = Record<string, unknown>;

interface Options {
  uid: string;
  /** Seconds since the epoch: `occurred_at`. */
  now: number;
}

const DAY = 86_400;

function customer(o: Options): Json {
  return {
    id: o.uid,
    first_name: "Ada",
    last_name: "Lovelace",
    email: "ada@example.com",
    company: "Analytical Engines Ltd",
    auto_collection: "on",
    net_term_days: 0,
    allow_direct_debit: false,
    created_at: o.now - 90 * DAY,
    taxability: "taxable",
    updated_at: o.now,
    locale: "en-GB",
    pii_cleared: "active",
    channel: "web",
    resource_version: o.now * 1000,
    deleted: false,
    object: "customer",
    billing_address: { first_name: "Ada", last_name: "Lovelace", line1: "12 St James's Square", city: "London", zip: "SW1Y 4JH", country: "GB", validation_status: "not_validated", object: "billing_address" },
    card_status: "valid",
    promotional_credits: 0,
    refundable_credits: 0,
    excess_payments: 0,
    unbilled_charges: 0,
    preferred_currency_code: "USD",
    primary_payment_source_id: "pm_169vujSmzWqFm4Nf",
    payment_method: { object: "payment_method", type: "card", reference_id: "tok_169vujSmzWqFm4Nb", gateway: "stripe", gateway_account_id: "gw_169vujSmzWqFm1F", status: "valid" },
    meta_data: { signup_source: "website" },
  };
}

function subscription(o: Options, status: string): Json {
  const start = o.now - 10 * DAY;
  return {
    id: "169vujSmzWqFm58A",
    billing_period: 1,
    billing_period_unit: "month",
    customer_id: o.uid,
    status,
    current_term_start: status === "cancelled" ? undefined : start,
    current_term_end: status === "cancelled" ? undefined : start + 30 * DAY,
    next_billing_at: status === "active" ? start + 30 * DAY : undefined,
    created_at: o.now - 90 * DAY,
    started_at: o.now - 90 * DAY,
    activated_at: o.now - 90 * DAY,
    trial_start: status === "in_trial" ? start : undefined,
    trial_end: status === "in_trial" ? o.now + 4 * DAY : undefined,
    cancelled_at: status === "cancelled" ? o.now : status === "non_renewing" ? start + 30 * DAY : undefined,
    cancel_schedule_created_at: status === "non_renewing" ? o.now : undefined,
    cancel_reason: status === "cancelled" ? "not_paid" : undefined,
    updated_at: o.now,
    has_scheduled_changes: false,
    channel: "web",
    resource_version: o.now * 1000,
    deleted: false,
    object: "subscription",
    currency_code: "USD",
    subscription_items: [
      { item_price_id: "pro-USD-monthly", item_type: "plan", quantity: 3, unit_price: 4900, amount: 14700, free_quantity: 0, object: "subscription_item" },
    ],
    due_invoices_count: 0,
    mrr: status === "active" || status === "non_renewing" ? 14700 : 0,
    exchange_rate: 1,
    base_currency_code: "USD",
    has_scheduled_advance_invoices: false,
  };
}

function invoice(o: Options, paid: boolean): Json {
  return {
    id: "inv_2931",
    customer_id: o.uid,
    subscription_id: "169vujSmzWqFm58A",
    recurring: true,
    status: paid ? "paid" : "payment_due",
    price_type: "tax_exclusive",
    date: o.now - 60,
    due_date: o.now - 60,
    net_term_days: 0,
    exchange_rate: 1,
    total: 14700,
    amount_paid: paid ? 14700 : 0,
    amount_due: paid ? 0 : 14700,
    paid_at: paid ? o.now - 30 : undefined,
    dunning_attempts: paid ? [] : [{ attempt: 0, transaction_id: "txn_169vujSmzWqFmAc", dunning_type: "auto_collect", created_at: o.now - 3 * DAY, txn_status: "failure", txn_amount: 14700 }],
    resource_version: o.now * 1000,
    updated_at: o.now,
    deleted: false,
    object: "invoice",
    currency_code: "USD",
    line_items: [{ id: "li_169vujSmzWqFmAb", date_from: o.now - 60, date_to: o.now + 30 * DAY, unit_amount: 4900, quantity: 3, amount: 14700, is_taxed: false, description: "Pro (monthly)", entity_type: "plan_item_price", entity_id: "pro-USD-monthly", object: "line_item", customer_id: o.uid, subscription_id: "169vujSmzWqFm58A" }],
  };
}

function transaction(o: Options, type: "payment" | "refund", status: "success" | "failure"): Json {
  return {
    id: `txn_${randomBytes(8).toString("hex")}`,
    customer_id: o.uid,
    subscription_id: "169vujSmzWqFm58A",
    payment_source_id: "pm_169vujSmzWqFm4Nf",
    payment_method: "card",
    gateway: "stripe",
    gateway_account_id: "gw_169vujSmzWqFm1F",
    type,
    date: o.now - 30,
    exchange_rate: 1,
    amount: type === "refund" ? 4900 : 14700,
    id_at_gateway: `ch_${randomBytes(8).toString("hex")}`,
    status,
    error_code: status === "failure" ? "card_declined" : undefined,
    updated_at: o.now,
    resource_version: o.now * 1000,
    deleted: false,
    object: "transaction",
    masked_card_number: "************4242",
    currency_code: "USD",
    base_currency_code: "USD",
    amount_unused: 0,
    linked_invoices: [{ invoice_id: "inv_2931", applied_amount: 14700, applied_at: o.now - 30, invoice_date: o.now - 60, invoice_total: 14700, invoice_status: "paid" }],
  };
}

const card = (o: Options): Json => ({ status: "valid", gateway: "stripe", gateway_account_id: "gw_169vujSmzWqFm1F", first_name: "Ada", last_name: "Lovelace", iin: "424242", last4: "4242", card_type: "visa", funding_type: "credit", expiry_month: 12, expiry_year: 2030, masked_number: "************4242", object: "card", customer_id: o.uid });

const CONTENT: Record<string, (o: Options) => Json> = {
  subscription_created: (o) => ({ subscription: subscription(o, "active"), customer: customer(o), card: card(o), invoice: invoice(o, true) }),
  subscription_activated: (o) => ({ subscription: subscription(o, "active"), customer: customer(o), card: card(o) }),
  subscription_changed: (o) => ({ subscription: subscription(o, "active"), customer: customer(o), card: card(o) }),
  subscription_renewed: (o) => ({ subscription: subscription(o, "active"), customer: customer(o), card: card(o), invoice: invoice(o, true) }),
  subscription_cancelled: (o) => ({ subscription: subscription(o, "cancelled"), customer: customer(o), card: card(o) }),
  subscription_reactivated: (o) => ({ subscription: subscription(o, "active"), customer: customer(o), card: card(o) }),
  subscription_paused: (o) => ({ subscription: subscription(o, "paused"), customer: customer(o), card: card(o) }),
  subscription_resumed: (o) => ({ subscription: subscription(o, "active"), customer: customer(o), card: card(o) }),
  subscription_cancellation_scheduled: (o) => ({ subscription: subscription(o, "non_renewing"), customer: customer(o), card: card(o) }),
  payment_succeeded: (o) => ({ transaction: transaction(o, "payment", "success"), invoice: invoice(o, true), customer: customer(o), subscription: subscription(o, "active"), card: card(o) }),
  payment_failed: (o) => ({ transaction: transaction(o, "payment", "failure"), invoice: invoice(o, false), customer: customer(o), subscription: subscription(o, "active"), card: card(o) }),
  payment_refunded: (o) => ({ transaction: transaction(o, "refund", "success"), invoice: invoice(o, true), customer: customer(o), subscription: subscription(o, "active"), card: card(o) }),
  customer_created: (o) => ({ customer: customer(o), card: card(o) }),
  customer_changed: (o) => ({ customer: customer(o), card: card(o) }),
};

/** The Chargebee event types `npm run send` has samples of. */
export const CHARGEBEE_SAMPLE_TYPES = Object.keys(CONTENT);

/** A Chargebee event of `type`, or undefined when there is no sample of it. */
export function chargebeeSample(type: string, o: Options): Json | undefined {
  const build = CONTENT[type];
  if (!build) return undefined;
  return {
    id: `ev_${randomBytes(8).toString("hex")}`,
    occurred_at: o.now,
    source: "admin_console",
    user: "billing@example.com",
    object: "event",
    api_version: "v2",
    content: JSON.parse(JSON.stringify(build(o))) as Json,
    event_type: type,
    webhook_status: "scheduled",
  };
}
