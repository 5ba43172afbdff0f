import { randomBytes } from "node:crypto";
import type { SourceName } from "../functions/config";
import { CHARGEBEE_SAMPLE_TYPES, chargebeeSample } from "./chargebee-samples";
import { PADDLE_SAMPLE_TYPES, paddleSample } from "./paddle-samples";
import { LEMONSQUEEZY_SAMPLE_TYPES, lemonSqueezySample } from "./sample-events-lemonsqueezy";
import { POLAR_SAMPLE_TYPES, polarSample } from "./sample-events-polar";
import { WORKOS_SAMPLE_TYPES, workosSample } from "./sample-events-workos";

/**
 * One realistic sample event per mapped event type, for `npm run send`: the envelopes and objects
 * follow the shapes Stripe and Clerk document (API 2025-03-31 for Stripe: the billing period on the
 * subscription item, invoices' `parent.subscription_details`), with enough of the surrounding
 * fields to weigh what a real delivery weighs. Stripe objects carry `metadata.fullstory_uid`;
 * leaving `uid` out makes an event whose Fullstory uid cannot be resolved (a dead letter to try redrive on).
 * https://docs.stripe.com/api/events/object  https://clerk.com/docs/guides/development/webhooks/overview
 */

type Json = Record<string, unknown>;

/** The uid samples carry unless told otherwise. */
export const SAMPLE_UID = "user_ada";

export interface SampleOptions {
  /**
   * Undefined: Stripe, Paddle, Lemon Squeezy and Polar samples carry no uid (an event their
   * customer's uid resolves, once learned); Clerk, Chargebee, standard and WorkOS samples use SAMPLE_UID.
   */
  uid?: string;
  /** Seconds since the epoch; the event's `created`. */
  now: number;
}

const rid = (prefix: string, bytes = 12) => `${prefix}_${randomBytes(bytes).toString("base64url").replace(/[-_]/g, "x")}`;
const DAY = 86_400;

const metadata = (uid: string | undefined): Json => (uid ? { fullstory_uid: uid, signup_source: "website" } : { signup_source: "website" });

function customer(o: SampleOptions): Json {
  return {
    id: "cus_SampleAda01",
    object: "customer",
    address: { city: "London", country: "GB", line1: "12 St James's Square", line2: null, postal_code: "SW1Y 4JH", state: null },
    balance: 0,
    created: o.now - 90 * DAY,
    currency: "usd",
    default_source: null,
    delinquent: false,
    description: null,
    email: "ada@example.com",
    invoice_prefix: "7C1A2B3D",
    invoice_settings: { custom_fields: null, default_payment_method: "pm_SampleCard01", footer: null, rendering_options: null },
    livemode: false,
    metadata: metadata(o.uid),
    name: "Ada Lovelace",
    phone: null,
    preferred_locales: ["en-GB"],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  };
}

function subscription(o: SampleOptions, status: string): Json {
  const periodStart = o.now - 10 * DAY;
  const periodEnd = periodStart + 30 * DAY;
  const price = {
    id: "price_SamplePro01",
    object: "price",
    active: true,
    billing_scheme: "per_unit",
    created: o.now - 400 * DAY,
    currency: "usd",
    livemode: false,
    lookup_key: "pro_monthly",
    metadata: {},
    nickname: "Pro (monthly)",
    product: "prod_SamplePro01",
    recurring: { interval: "month", interval_count: 1, meter: null, usage_type: "licensed" },
    tax_behavior: "exclusive",
    type: "recurring",
    unit_amount: 4900,
    unit_amount_decimal: "4900",
  };
  return {
    id: "sub_SampleAda01",
    object: "subscription",
    application: null,
    automatic_tax: { enabled: false, liability: null },
    billing_cycle_anchor: periodStart,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: status === "canceled" ? o.now : null,
    collection_method: "charge_automatically",
    created: o.now - 90 * DAY,
    currency: "usd",
    customer: "cus_SampleAda01",
    default_payment_method: "pm_SampleCard01",
    description: null,
    discounts: [],
    ended_at: status === "canceled" ? o.now : null,
    items: {
      object: "list",
      data: [
        {
          id: "si_SampleAda01",
          object: "subscription_item",
          created: o.now - 90 * DAY,
          current_period_end: periodEnd,
          current_period_start: periodStart,
          discounts: [],
          metadata: {},
          price,
          quantity: 3,
          subscription: "sub_SampleAda01",
          tax_rates: [],
        },
      ],
      has_more: false,
      total_count: 1,
      url: "/v1/subscription_items?subscription=sub_SampleAda01",
    },
    latest_invoice: "in_SampleAda01",
    livemode: false,
    metadata: metadata(o.uid),
    pending_update: null,
    start_date: o.now - 90 * DAY,
    status,
    test_clock: null,
    trial_end: status === "trialing" ? o.now + 3 * DAY : null,
    trial_start: status === "trialing" ? o.now - 11 * DAY : null,
  };
}

function invoice(o: SampleOptions, paid: boolean): Json {
  return {
    id: "in_SampleAda01",
    object: "invoice",
    account_country: "US",
    amount_due: 14700,
    amount_paid: paid ? 14700 : 0,
    amount_remaining: paid ? 0 : 14700,
    attempt_count: paid ? 1 : 2,
    attempted: true,
    billing_reason: "subscription_cycle",
    collection_method: "charge_automatically",
    created: o.now - 60,
    currency: "usd",
    customer: "cus_SampleAda01",
    customer_email: "ada@example.com",
    customer_name: "Ada Lovelace",
    hosted_invoice_url: "https://invoice.stripe.com/i/acct_Sample/test_Sample",
    lines: { object: "list", data: [], has_more: false, total_count: 1, url: "/v1/invoices/in_SampleAda01/lines" },
    livemode: false,
    metadata: {},
    number: "7C1A2B3D-0004",
    parent: {
      type: "subscription_details",
      quote_details: null,
      subscription_details: { metadata: metadata(o.uid), subscription: "sub_SampleAda01" },
    },
    period_end: o.now - 60,
    period_start: o.now - 30 * DAY,
    status: paid ? "paid" : "open",
    status_transitions: { finalized_at: o.now - 60, marked_uncollectible_at: null, paid_at: paid ? o.now - 30 : null, voided_at: null },
    subtotal: 14700,
    total: 14700,
  };
}

function checkoutSession(o: SampleOptions): Json {
  return {
    id: "cs_test_SampleAda01",
    object: "checkout.session",
    amount_subtotal: 14700,
    amount_total: 14700,
    client_reference_id: null,
    created: o.now - 120,
    currency: "usd",
    customer: "cus_SampleAda01",
    customer_details: { address: null, email: "ada@example.com", name: "Ada Lovelace", phone: null, tax_exempt: "none" },
    customer_email: null,
    livemode: false,
    metadata: metadata(o.uid),
    mode: "subscription",
    payment_status: "paid",
    status: "complete",
    subscription: "sub_SampleAda01",
    success_url: "https://example.com/welcome",
    url: null,
  };
}

function charge(o: SampleOptions): Json {
  return {
    id: "ch_SampleAda01",
    object: "charge",
    amount: 14700,
    amount_captured: 14700,
    amount_refunded: 4900,
    captured: true,
    created: o.now - 5 * DAY,
    currency: "usd",
    customer: "cus_SampleAda01",
    description: "Subscription update",
    livemode: false,
    metadata: metadata(o.uid),
    paid: true,
    payment_intent: "pi_SampleAda01",
    payment_method_details: { card: { brand: "visa", exp_month: 12, exp_year: 2030, last4: "4242" }, type: "card" },
    receipt_url: "https://pay.stripe.com/receipts/Sample",
    refunded: false,
    status: "succeeded",
  };
}

const STRIPE_OBJECTS: Record<string, (o: SampleOptions) => Json> = {
  "customer.created": customer,
  "customer.updated": customer,
  "customer.deleted": customer,
  "customer.subscription.created": (o) => subscription(o, "active"),
  "customer.subscription.updated": (o) => subscription(o, "active"),
  "customer.subscription.deleted": (o) => subscription(o, "canceled"),
  "customer.subscription.trial_will_end": (o) => subscription(o, "trialing"),
  "invoice.paid": (o) => invoice(o, true),
  "invoice.payment_succeeded": (o) => invoice(o, true),
  "invoice.payment_failed": (o) => invoice(o, false),
  "checkout.session.completed": checkoutSession,
  "charge.refunded": charge,
};

function stripeEvent(type: string, o: SampleOptions): Json | undefined {
  const build = STRIPE_OBJECTS[type];
  if (!build) return undefined;
  return {
    id: rid("evt"),
    object: "event",
    api_version: "2025-03-31.basil",
    created: o.now,
    data: { object: build(o), ...(type.endsWith(".updated") ? { previous_attributes: { metadata: {} } } : {}) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: rid("req"), idempotency_key: randomBytes(16).toString("hex") },
    type,
  };
}

/** Clerk's User object: https://clerk.com/docs/reference/backend-api/tag/users/get/users/%7Buser_id%7D */
function clerkEvent(type: string, o: SampleOptions): Json | undefined {
  const id = o.uid ?? SAMPLE_UID;
  const ms = o.now * 1000;
  const envelope = { object: "event", type, timestamp: ms, instance_id: "ins_SampleInstance01" };
  if (type === "user.deleted") return { ...envelope, data: { id, object: "user", deleted: true } };
  if (type !== "user.created" && type !== "user.updated") return undefined;
  return {
    ...envelope,
    data: {
      id,
      object: "user",
      external_id: null,
      primary_email_address_id: "idn_SampleEmail01",
      email_addresses: [
        {
          id: "idn_SampleEmail01",
          object: "email_address",
          email_address: "ada@example.com",
          linked_to: [],
          verification: { status: "verified", strategy: "email_code", attempts: 1, expire_at: null },
        },
      ],
      phone_numbers: [],
      first_name: "Ada",
      last_name: "Lovelace",
      username: "ada",
      image_url: "https://img.clerk.com/sample",
      has_image: false,
      created_at: ms - 30 * DAY * 1000,
      updated_at: ms,
      last_sign_in_at: ms - 3_600_000,
      password_enabled: true,
      two_factor_enabled: false,
      public_metadata: {},
      private_metadata: {},
      unsafe_metadata: {},
    },
  };
}

/** The `standard` source's body: a canonical upsert, as the team's own backend sends it. */
function standardEvent(type: string, o: SampleOptions): Json | undefined {
  if (type !== "upsert") return undefined;
  return {
    uid: o.uid ?? SAMPLE_UID,
    email: "ada@example.com",
    display_name: "Ada Lovelace",
    properties: { plan: "pro", seats: 3, signed_up_at: new Date((o.now - 30 * DAY) * 1000).toISOString() },
    schema: { properties: { plan: "str", seats: "int", signed_up_at: "date" } },
  };
}

/** The event types `npm run send` can build for each source. */
export const SAMPLE_EVENT_TYPES: Record<SourceName, readonly string[]> = {
  stripe: Object.keys(STRIPE_OBJECTS),
  clerk: ["user.created", "user.updated", "user.deleted"],
  standard: ["upsert"],
  paddle: PADDLE_SAMPLE_TYPES,
  chargebee: CHARGEBEE_SAMPLE_TYPES,
  lemonsqueezy: LEMONSQUEEZY_SAMPLE_TYPES,
  polar: POLAR_SAMPLE_TYPES,
  workos: WORKOS_SAMPLE_TYPES,
};

/** A sample body for `source` and `type`, or undefined when the tool has no sample of that type. */
export function sampleEvent(source: SourceName, type: string, options: SampleOptions): Json | undefined {
  if (source === "stripe") return stripeEvent(type, options);
  if (source === "clerk") return clerkEvent(type, options);
  if (source === "paddle") return paddleSample(type, options);
  if (source === "chargebee") return chargebeeSample(type, { ...options, uid: options.uid ?? SAMPLE_UID });
  if (source === "lemonsqueezy") return lemonSqueezySample(type, options);
  if (source === "polar") return polarSample(type, options);
  if (source === "workos") return workosSample(type, { ...options, uid: options.uid ?? SAMPLE_UID });
  return standardEvent(type, options);
}
