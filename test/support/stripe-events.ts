/**
 * Small factories for Stripe webhook payloads, following the shapes Stripe documents
 * (https://docs.stripe.com/api/events/object and the object pages it links). Each returns a plain
 * JSON-ready object; overrides replace top-level fields. Only the fields a test needs are set.
 */
type Json = Record<string, unknown>;

/** 2024-01-01T00:00:00Z: the default `created` of objects. */
export const OBJECT_CREATED = 1_704_067_200;
/** 2024-02-01T00:00:00Z: the default `created` of events. */
export const EVENT_CREATED = 1_706_745_600;

/** https://docs.stripe.com/api/customers/object */
export function customerObject(overrides: Json = {}): Json {
  return {
    id: "cus_Test123",
    object: "customer",
    created: OBJECT_CREATED,
    email: "ada@example.com",
    name: "Ada Lovelace",
    delinquent: false,
    livemode: false,
    metadata: { fullstory_uid: "user_ada" },
    ...overrides,
  };
}

/** https://docs.stripe.com/api/prices/object, recurring monthly by default. */
export function priceObject(overrides: Json = {}): Json {
  return {
    id: "price_Monthly",
    object: "price",
    active: true,
    currency: "usd",
    lookup_key: "pro_monthly",
    nickname: "Pro",
    product: "prod_Pro",
    type: "recurring",
    unit_amount: 2000,
    recurring: { interval: "month", interval_count: 1, usage_type: "licensed" },
    ...overrides,
  };
}

/** https://docs.stripe.com/api/subscription_items/object, in the API 2025-03-31 shape (period on the item). */
export function subscriptionItem(overrides: Json = {}): Json {
  return {
    id: "si_Test123",
    object: "subscription_item",
    price: priceObject(),
    quantity: 1,
    current_period_start: 1_706_745_600,
    current_period_end: 1_709_251_200,
    ...overrides,
  };
}

/** https://docs.stripe.com/api/subscriptions/object, active, one item, API 2025-03-31 shape. */
export function subscriptionObject(overrides: Json & { items?: Json[] } = {}): Json {
  const { items = [subscriptionItem()], ...rest } = overrides;
  return {
    id: "sub_Test123",
    object: "subscription",
    customer: "cus_Test123",
    status: "active",
    currency: "usd",
    items: { object: "list", data: items, has_more: false },
    trial_end: null,
    canceled_at: null,
    cancel_at_period_end: false,
    created: OBJECT_CREATED,
    livemode: false,
    metadata: { fullstory_uid: "user_ada" },
    ...rest,
  };
}

/** https://docs.stripe.com/api/invoices/object, paid, in the API 2025-03-31 shape (`parent`). */
export function invoiceObject(overrides: Json = {}): Json {
  return {
    id: "in_Test123",
    object: "invoice",
    customer: "cus_Test123",
    customer_email: "ada@example.com",
    customer_name: "Ada Lovelace",
    currency: "usd",
    amount_due: 2000,
    amount_paid: 2000,
    attempt_count: 1,
    status: "paid",
    status_transitions: { finalized_at: 1_706_745_000, paid_at: 1_706_745_300, voided_at: null },
    metadata: {},
    parent: {
      type: "subscription_details",
      quote_details: null,
      subscription_details: { metadata: { fullstory_uid: "user_ada" }, subscription: "sub_Test123" },
    },
    created: OBJECT_CREATED,
    livemode: false,
    ...overrides,
  };
}

/** The same invoice as sent before API 2025-03-31: top-level `subscription` and `subscription_details`. */
export function legacyInvoiceObject(overrides: Json = {}): Json {
  const { parent: _parent, ...invoice } = invoiceObject();
  return {
    ...invoice,
    subscription: "sub_Test123",
    subscription_details: { metadata: { fullstory_uid: "user_ada" } },
    ...overrides,
  };
}

/** https://docs.stripe.com/api/checkout/sessions/object, completed in subscription mode. */
export function checkoutSessionObject(overrides: Json = {}): Json {
  return {
    id: "cs_test_123",
    object: "checkout.session",
    mode: "subscription",
    status: "complete",
    payment_status: "paid",
    customer: "cus_Test123",
    customer_details: { email: "ada@example.com", name: "Ada Lovelace", phone: null },
    customer_email: null,
    client_reference_id: null,
    metadata: { fullstory_uid: "user_ada" },
    created: OBJECT_CREATED,
    livemode: false,
    ...overrides,
  };
}

/** https://docs.stripe.com/api/charges/object, partly refunded. */
export function chargeObject(overrides: Json = {}): Json {
  return {
    id: "ch_Test123",
    object: "charge",
    amount: 2000,
    amount_captured: 2000,
    amount_refunded: 500,
    currency: "usd",
    customer: "cus_Test123",
    refunded: false,
    status: "succeeded",
    metadata: { fullstory_uid: "user_ada" },
    created: OBJECT_CREATED,
    livemode: false,
    ...overrides,
  };
}

/** https://docs.stripe.com/api/events/object: `object` wrapped as a webhook event of `type`. */
export function stripeEvent(type: string, object: Json, overrides: Json = {}): Json {
  return {
    id: "evt_Test123",
    object: "event",
    api_version: "2025-03-31.basil",
    created: EVENT_CREATED,
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
    ...overrides,
  };
}

/**
 * A thin event, as an event destination sends it: the v1 event type prefixed `v1.`, no object, only
 * `related_object`. https://docs.stripe.com/event-destinations#thin-payload
 */
export function thinEvent(type: string, related: { id: string; type: string }, overrides: Json = {}): Json {
  return {
    id: "evt_thin_Test123",
    object: "v2.core.event",
    type: `v1.${type}`,
    created: new Date(EVENT_CREATED * 1000).toISOString(),
    livemode: false,
    context: null,
    reason: null,
    related_object: { ...related, url: `/v1/${related.type}s/${related.id}` },
    ...overrides,
  };
}
