import Stripe from "stripe";

/**
 * Realistic Stripe webhook bodies for the benchmark: full customer, subscription and invoice objects
 * with the fields Stripe really sends (API 2025-03-31 shapes, https://docs.stripe.com/api), not just
 * the few the mapping reads, so that signature checking, JSON parsing and validation see the sizes
 * (2–8 KB) and shapes of production traffic. Each event belongs to one of `users` customers.
 */
type Json = Record<string, unknown>;

/** The bodies must stay in this range (bytes) to be the payloads the benchmark claims to use. */
export const PAYLOAD_BYTES = { min: 2 * 1024, max: 8 * 1024 } as const;

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const stripe = new Stripe("sk_test_bench_unused");

const pad = (n: number, width = 6) => String(n).padStart(width, "0");
const address = (u: number): Json => ({
  city: "Springfield",
  country: "US",
  line1: `${100 + (u % 900)} Market Street`,
  line2: u % 3 === 0 ? `Suite ${u % 50}` : null,
  postal_code: `${10000 + (u % 89999)}`,
  state: "IL",
});

/** Application metadata of the kind SaaS teams keep on Stripe objects, with the uid the bridge reads. */
const appMetadata = (u: number, extra: number): Record<string, string> => {
  const metadata: Record<string, string> = { fullstory_uid: `user_${pad(u)}`, account_id: `acct_${pad(u * 7, 8)}` };
  const more = [
    "signup_source", "workspace_slug", "crm_contact_id", "utm_campaign", "utm_source", "utm_medium", "sales_owner",
    "region", "company_size", "industry", "referral_code", "onboarding_stage",
  ];
  for (const [i, key] of more.slice(0, extra).entries()) metadata[key] = `${key.split("_")[0]}-${pad(u + i, 5)}`;
  return metadata;
};

/** The longer free-text metadata a CRM sync or a support team leaves on a customer. */
const customerNotes = (u: number): Record<string, string> => ({
  enabled_features: "sso,audit_log,scim_provisioning,custom_roles,data_export,priority_support,advanced_analytics",
  support_notes: `Migrated from legacy billing on ${2020 + (u % 5)}-0${1 + (u % 9)}-15. Annual review scheduled with the account team; ` +
    "invoices go to the finance alias, not the admin. Prefers email over phone for billing questions. " +
    "Tax exemption certificate requested but not yet received. Seat count is reconciled monthly against the SCIM directory; " +
    "overages are invoiced at the end of the period. Renewal quotes need sign-off from the customer's procurement team.",
});

function customer(u: number, created: number): Json {
  return {
    id: `cus_${pad(u, 14)}`,
    object: "customer",
    address: address(u),
    balance: 0,
    created,
    currency: "usd",
    default_source: null,
    delinquent: u % 17 === 0,
    description: `Customer for workspace ${u}`,
    discount: null,
    email: `user${u}@example.com`,
    invoice_prefix: `B${pad(u, 7)}`,
    invoice_settings: { custom_fields: null, default_payment_method: `pm_${pad(u, 20)}`, footer: null, rendering_options: null },
    livemode: true,
    metadata: { ...appMetadata(u, 12), ...customerNotes(u) },
    name: `Customer Number ${u}`,
    next_invoice_sequence: 2 + (u % 30),
    phone: `+1312555${pad(u % 10000, 4)}`,
    preferred_locales: ["en-US"],
    shipping: { address: address(u), name: `Customer Number ${u}`, phone: null },
    tax_exempt: "none",
    test_clock: null,
  };
}

function price(u: number, item: number): Json {
  const yearly = (u + item) % 4 === 0;
  const interval = yearly ? "year" : "month";
  const amount = (yearly ? 24_000 : 2_000) * (item + 1);
  const id = `price_${yearly ? "Y" : "M"}${pad(item, 20)}`;
  return {
    id,
    object: "price",
    active: true,
    billing_scheme: "per_unit",
    created: T0 - 86_400 * 400,
    currency: "usd",
    custom_unit_amount: null,
    livemode: true,
    lookup_key: `${["pro", "team", "addon"][item % 3]}_${interval}ly`,
    metadata: {},
    nickname: `${["Pro", "Team", "Add-on"][item % 3]} (${interval}ly)`,
    product: `prod_${pad(item, 14)}`,
    recurring: { aggregate_usage: null, interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: "licensed" },
    tax_behavior: "exclusive",
    tiers_mode: null,
    transform_quantity: null,
    type: "recurring",
    unit_amount: amount,
    unit_amount_decimal: String(amount),
  };
}

function subscriptionItem(u: number, item: number, start: number): Json {
  const p = price(u, item);
  const recurring = p.recurring as Json;
  return {
    id: `si_${pad(u, 8)}${pad(item, 6)}`,
    object: "subscription_item",
    billing_thresholds: null,
    created: start,
    current_period_end: start + 30 * 86_400,
    current_period_start: start,
    discounts: [],
    metadata: {},
    // The legacy `plan` view of the price, which Stripe still sends beside it.
    plan: {
      id: p.id, object: "plan", active: true, amount: p.unit_amount, amount_decimal: p.unit_amount_decimal, billing_scheme: "per_unit",
      created: p.created, currency: "usd", interval: recurring.interval, interval_count: 1, livemode: true, metadata: {},
      meter: null, nickname: p.nickname, product: p.product, tiers_mode: null, transform_usage: null, trial_period_days: null, usage_type: "licensed",
    },
    price: p,
    quantity: 1 + ((u + item) % 12),
    subscription: `sub_${pad(u, 14)}`,
    tax_rates: [],
  };
}

function subscription(u: number, items: number, status: string, start: number): Json {
  return {
    id: `sub_${pad(u, 14)}`,
    object: "subscription",
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: true, liability: { type: "self" } },
    billing_cycle_anchor: start,
    billing_cycle_anchor_config: null,
    billing_mode: { type: "classic" },
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: u % 11 === 0,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: "charge_automatically",
    created: start - 86_400 * (u % 365),
    currency: "usd",
    customer: `cus_${pad(u, 14)}`,
    days_until_due: null,
    default_payment_method: `pm_${pad(u, 20)}`,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: "self" } },
    items: {
      object: "list",
      data: Array.from({ length: items }, (_, i) => subscriptionItem(u, i, start)),
      has_more: false,
      total_count: items,
      url: `/v1/subscription_items?subscription=sub_${pad(u, 14)}`,
    },
    latest_invoice: `in_${pad(u, 14)}`,
    livemode: true,
    metadata: appMetadata(u, 2),
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: "off" },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: start - 86_400 * (u % 365),
    status,
    test_clock: null,
    transfer_data: null,
    trial_end: status === "trialing" ? start + 14 * 86_400 : null,
    trial_settings: { end_behavior: { missing_payment_method: "create_invoice" } },
    trial_start: status === "trialing" ? start : null,
  };
}

function invoiceLine(u: number, item: number, start: number): Json {
  const p = price(u, item);
  const quantity = 1 + ((u + item) % 12);
  const amount = Number(p.unit_amount) * quantity;
  return {
    id: `il_${pad(u, 10)}${pad(item, 6)}`,
    object: "line_item",
    amount,
    currency: "usd",
    description: `${quantity} × ${String(p.nickname)}`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: `in_${pad(u, 14)}`,
    livemode: true,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: { invoice_item: null, proration: false, proration_details: { credited_items: null }, subscription: `sub_${pad(u, 14)}`, subscription_item: `si_${pad(u, 8)}${pad(item, 6)}` },
      type: "subscription_item_details",
    },
    period: { end: start + 30 * 86_400, start },
    pretax_credit_amounts: [],
    pricing: { price_details: { price: p.id, product: p.product }, type: "price_details", unit_amount_decimal: p.unit_amount_decimal },
    quantity,
    taxes: [{ amount: Math.round(amount * 0.08), tax_behavior: "exclusive", tax_rate_details: { tax_rate: "txr_1Bench" }, taxability_reason: "standard_rated", taxable_amount: amount, type: "tax_rate_details" }],
  };
}

function invoice(u: number, lines: number, paid: boolean, start: number): Json {
  const data = Array.from({ length: lines }, (_, i) => invoiceLine(u, i, start));
  const subtotal = data.reduce((sum, l) => sum + Number(l.amount), 0);
  const tax = Math.round(subtotal * 0.08);
  return {
    id: `in_${pad(u, 14)}`,
    object: "invoice",
    account_country: "US",
    account_name: "Bench SaaS, Inc.",
    account_tax_ids: null,
    amount_due: subtotal + tax,
    amount_overpaid: 0,
    amount_paid: paid ? subtotal + tax : 0,
    amount_remaining: paid ? 0 : subtotal + tax,
    amount_shipping: 0,
    application: null,
    attempt_count: paid ? 1 : 1 + (u % 4),
    attempted: true,
    auto_advance: !paid,
    automatic_tax: { disabled_reason: null, enabled: true, liability: { type: "self" }, provider: "stripe", status: "complete" },
    billing_reason: "subscription_cycle",
    collection_method: "charge_automatically",
    created: start,
    currency: "usd",
    custom_fields: null,
    customer: `cus_${pad(u, 14)}`,
    customer_address: address(u),
    customer_email: `user${u}@example.com`,
    customer_name: `Customer Number ${u}`,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: "none",
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: start + 3_600,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_1Bench/live_${pad(u, 24)}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_1Bench/live_${pad(u, 24)}/pdf`,
    issuer: { type: "self" },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: "list", data, has_more: false, total_count: lines, url: `/v1/invoices/in_${pad(u, 14)}/lines` },
    livemode: true,
    metadata: {},
    next_payment_attempt: paid ? null : start + 3 * 86_400,
    number: `B${pad(u, 7)}-${pad(1 + (u % 30), 4)}`,
    on_behalf_of: null,
    parent: { quote_details: null, subscription_details: { metadata: appMetadata(u, 2), subscription: `sub_${pad(u, 14)}` }, type: "subscription_details" },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: start,
    period_start: start - 30 * 86_400,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: paid ? "paid" : "open",
    status_transitions: { finalized_at: start + 3_600, marked_uncollectible_at: null, paid_at: paid ? start + 3_700 : null, voided_at: null },
    subtotal,
    subtotal_excluding_tax: subtotal,
    test_clock: null,
    total: subtotal + tax,
    total_discount_amounts: [],
    total_excluding_tax: subtotal,
    total_pretax_credit_amounts: [],
    total_taxes: [{ amount: tax, tax_behavior: "exclusive", tax_rate_details: { tax_rate: "txr_1Bench" }, taxability_reason: "standard_rated", taxable_amount: subtotal, type: "tax_rate_details" }],
    webhooks_delivered_at: start + 5,
  };
}

/** The event types in the mix, in rotation: subscription changes and invoices dominate real traffic. */
const MIX = [
  "customer.subscription.updated",
  "invoice.paid",
  "customer.updated",
  "invoice.payment_failed",
  "customer.subscription.created",
  "invoice.payment_succeeded",
  "customer.created",
  "customer.subscription.trial_will_end",
] as const;

/** The id of event `i` of the stream. */
export const stripeEventId = (i: number): string => `evt_${pad(i, 24)}`;

/**
 * Event `i` of the stream, for customer `i % users`, as Stripe would send it (envelope included),
 * created at `created` (seconds; by default a minute after the one before, from 2026-01-01).
 */
export function stripeEventBody(i: number, users: number, created = T0 + i * 60): string {
  const u = i % users;
  const type = MIX[i % MIX.length] ?? MIX[0];
  // How many items or lines: varied per pass over the mix, so every type comes in several sizes.
  const parts = Math.floor(i / MIX.length);
  let object: Json;
  let previous: Json | undefined;
  if (type.startsWith("customer.subscription.")) {
    const status = type.endsWith("trial_will_end") ? "trialing" : u % 13 === 0 ? "past_due" : "active";
    object = subscription(u, 1 + (parts % 3), status, created - 86_400);
    if (type.endsWith("updated")) previous = { items: { data: [] }, status: "trialing", metadata: {} };
  } else if (type.startsWith("invoice.")) {
    object = invoice(u, 1 + (parts % 4), type !== "invoice.payment_failed", created - 3_600);
  } else {
    object = customer(u, created - 86_400 * (1 + (u % 700)));
    if (type === "customer.updated") previous = { address: null, email: `old${u}@example.com`, metadata: { workspace_slug: null } };
  }
  return JSON.stringify({
    id: stripeEventId(i),
    object: "event",
    api_version: "2025-03-31.basil",
    created,
    data: previous ? { object, previous_attributes: previous } : { object },
    livemode: true,
    pending_webhooks: 1,
    request: { id: `req_${pad(i, 14)}`, idempotency_key: `idem-${pad(i, 12)}` },
    type,
  });
}

export interface SignedPayload {
  body: string;
  /** The `Stripe-Signature` header, from the official library. */
  signature: string;
}

/** `body` signed by the official `stripe` library with `secret` at `timestamp` (seconds). Throws if it falls outside PAYLOAD_BYTES. */
export function signStripe(body: string, secret: string, timestamp: number): SignedPayload {
  const bytes = Buffer.byteLength(body);
  if (bytes < PAYLOAD_BYTES.min || bytes > PAYLOAD_BYTES.max) throw new Error(`a bench payload is ${bytes} bytes, outside 2–8 KB`);
  return { body, signature: stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }) };
}

/** `count` signed bodies (events `first`…), each signed with `secret` at `timestamp` (seconds), see signStripe. */
export function signedStripePayloads(opts: { count: number; first?: number; users: number; secret: string; timestamp: number }): SignedPayload[] {
  return Array.from({ length: opts.count }, (_, k) => signStripe(stripeEventBody((opts.first ?? 0) + k, opts.users), opts.secret, opts.timestamp));
}
