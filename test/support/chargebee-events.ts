/**
 * Small factories for Chargebee webhook events (API v2), written from the shapes Chargebee
 * documents: the event (https://apidocs.chargebee.com/docs/api/events) whose `content` holds a
 * subscription (https://apidocs.chargebee.com/docs/api/subscriptions/subscription-object),
 * customer (https://apidocs.chargebee.com/docs/api/customers/customer-object), transaction
 * (https://apidocs.chargebee.com/docs/api/transactions/transaction-object) or invoice
 * (https://apidocs.chargebee.com/docs/api/invoices/invoice-object). Values are made up; each
 * factory's overrides replace top-level fields.
 */
type Json = Record<string, unknown>;

/** The customer id, which is also the Fullstory uid under the default CHARGEBEE_UID_FIELD=id. */
export const CUSTOMER_ID = "user_ada";
/** 2024-02-01T00:00:00Z: the default `occurred_at`. */
export const OCCURRED_AT = 1_706_745_600;
/** The default `resource_version` of objects: milliseconds, as Chargebee sets them. */
export const RESOURCE_VERSION = 1_706_745_599_123;

export function chargebeeCustomer(overrides: Json = {}): Json {
  return {
    id: CUSTOMER_ID,
    first_name: "Ada",
    last_name: "Lovelace",
    email: "ada@example.com",
    auto_collection: "on",
    net_term_days: 0,
    allow_direct_debit: false,
    created_at: 1_704_067_200,
    taxability: "taxable",
    updated_at: 1_706_745_599,
    resource_version: RESOURCE_VERSION,
    deleted: false,
    object: "customer",
    card_status: "valid",
    meta_data: { app_user_id: "acct-42" },
    ...overrides,
  };
}

/** A subscription item: by default the plan, one seat at 20.00 USD a month. */
export function chargebeeItem(overrides: Json = {}): Json {
  return { item_price_id: "pro-USD-monthly", item_type: "plan", quantity: 1, unit_price: 2000, amount: 2000, free_quantity: 0, object: "subscription_item", ...overrides };
}

/** An active monthly subscription (Product Catalog 2.0) with Chargebee's own `mrr`. */
export function chargebeeSubscription(overrides: Json & { items?: Json[] } = {}): Json {
  const { items = [chargebeeItem()], ...rest } = overrides;
  return {
    id: "AzZlGJTyZ5N3h2Kb",
    customer_id: CUSTOMER_ID,
    status: "active",
    currency_code: "USD",
    billing_period: 1,
    billing_period_unit: "month",
    current_term_start: 1_706_745_600,
    current_term_end: 1_709_251_200,
    next_billing_at: 1_709_251_200,
    created_at: 1_704_067_200,
    started_at: 1_704_067_200,
    activated_at: 1_704_067_200,
    updated_at: 1_706_745_599,
    has_scheduled_changes: false,
    has_scheduled_advance_invoices: false,
    channel: "web",
    resource_version: RESOURCE_VERSION,
    deleted: false,
    object: "subscription",
    due_invoices_count: 0,
    mrr: 2000,
    subscription_items: items,
    ...rest,
  };
}

/** A successful payment of 20.00 USD. */
export function chargebeeTransaction(overrides: Json = {}): Json {
  return {
    id: "txn_AzZlGJTyZ5N7X2Kf",
    customer_id: CUSTOMER_ID,
    subscription_id: "AzZlGJTyZ5N3h2Kb",
    payment_method: "card",
    gateway: "stripe",
    type: "payment",
    status: "success",
    date: 1_706_745_590,
    currency_code: "USD",
    amount: 2000,
    resource_version: RESOURCE_VERSION,
    updated_at: 1_706_745_599,
    deleted: false,
    object: "transaction",
    ...overrides,
  };
}

export function chargebeeInvoice(overrides: Json = {}): Json {
  return { id: "inv_1042", customer_id: CUSTOMER_ID, status: "paid", total: 2000, amount_due: 0, dunning_attempts: [], object: "invoice", ...overrides };
}

/** An event of `type` around `content`. */
export function chargebeeEvent(type: string, content: Json, overrides: Json = {}): Json {
  return {
    id: "ev_AzZlGJTyZ5NBb2Kk",
    occurred_at: OCCURRED_AT,
    source: "admin_console",
    user: "billing@example.com",
    object: "event",
    api_version: "v2",
    event_type: type,
    webhook_status: "scheduled",
    content,
    ...overrides,
  };
}
