/**
 * Small factories for Paddle Billing notifications (API version 1), written from the shapes Paddle
 * documents: the notification envelope (https://developer.paddle.com/webhooks/overview) around a
 * subscription (https://developer.paddle.com/api-reference/subscriptions/overview), transaction
 * (https://developer.paddle.com/api-reference/transactions/overview), customer
 * (https://developer.paddle.com/api-reference/customers/overview) or adjustment
 * (https://developer.paddle.com/api-reference/adjustments/overview). Values are made up; each
 * factory's overrides replace top-level fields.
 */
type Json = Record<string, unknown>;

export const CUSTOMER_ID = "ctm_01hv6y1jedq4p1n0yqn5ba3ky4";
export const SUBSCRIPTION_ID = "sub_01hv8x29kz0t586xy6zn1a62ny";
/** 2024-02-01T00:00:00.123456Z: the default `occurred_at`, with Paddle's microseconds. */
export const OCCURRED_AT = "2024-02-01T00:00:00.123456Z";

/** A price of `amount` (lowest denomination, as Paddle's digit string) billed every `frequency` `interval`s. */
export function paddlePrice(overrides: Json = {}): Json {
  return {
    id: "pri_01gsz8x8sawmvhz1pv30nge1ke",
    product_id: "pro_01gsz4t5hdjse780zja8vvr7jg",
    description: "Monthly (per seat)",
    name: "Monthly",
    billing_cycle: { interval: "month", frequency: 1 },
    trial_period: null,
    tax_mode: "account_setting",
    unit_price: { amount: "2000", currency_code: "USD" },
    unit_price_overrides: [],
    status: "active",
    custom_data: null,
    ...overrides,
  };
}

/** A subscription item: the price, its product, the quantity. */
export function paddleItem(overrides: Json = {}): Json {
  return {
    status: "active",
    quantity: 1,
    recurring: true,
    created_at: "2024-01-01T00:00:00.000000Z",
    updated_at: "2024-01-01T00:00:00.000000Z",
    previously_billed_at: "2024-01-01T00:00:00.000000Z",
    next_billed_at: "2024-02-01T00:00:00.000000Z",
    trial_dates: null,
    price: paddlePrice(),
    product: { id: "pro_01gsz4t5hdjse780zja8vvr7jg", name: "Pro", type: "standard", status: "active", tax_category: "standard", custom_data: null },
    ...overrides,
  };
}

/** An active monthly subscription of one Pro seat at 20.00 USD. */
export function paddleSubscription(overrides: Json & { items?: Json[] } = {}): Json {
  const { items = [paddleItem()], ...rest } = overrides;
  return {
    id: SUBSCRIPTION_ID,
    status: "active",
    customer_id: CUSTOMER_ID,
    address_id: "add_01hv8gq3318ktkfengj2r75gfx",
    business_id: null,
    currency_code: "USD",
    created_at: "2024-01-01T00:00:00.000000Z",
    updated_at: "2024-01-01T00:00:00.000000Z",
    started_at: "2024-01-01T00:00:00.000000Z",
    first_billed_at: "2024-01-01T00:00:00.000000Z",
    next_billed_at: "2024-03-01T00:00:00.000000Z",
    paused_at: null,
    canceled_at: null,
    collection_mode: "automatic",
    billing_details: null,
    current_billing_period: { starts_at: "2024-02-01T00:00:00.000000Z", ends_at: "2024-03-01T00:00:00.000000Z" },
    billing_cycle: { interval: "month", frequency: 1 },
    scheduled_change: null,
    discount: null,
    custom_data: { fullstory_uid: "user_ada" },
    items,
    ...rest,
  };
}

/** A completed transaction of 20.00 USD, captured. */
export function paddleTransaction(overrides: Json = {}): Json {
  return {
    id: "txn_01hv8wptq8987qeep44cyrewp9",
    status: "completed",
    customer_id: CUSTOMER_ID,
    subscription_id: SUBSCRIPTION_ID,
    invoice_id: "inv_01hv8x29nsh54c2pgt0hnq0zkx",
    origin: "subscription_recurring",
    currency_code: "USD",
    collection_mode: "automatic",
    billed_at: "2024-02-01T00:00:00.000000Z",
    created_at: "2024-02-01T00:00:00.000000Z",
    updated_at: "2024-02-01T00:00:05.000000Z",
    custom_data: { fullstory_uid: "user_ada" },
    items: [{ price: paddlePrice(), quantity: 1, proration: null }],
    details: {
      totals: { subtotal: "2000", discount: "0", tax: "0", total: "2000", credit: "0", balance: "0", grand_total: "2000", fee: "130", earnings: "1870", currency_code: "USD" },
    },
    payments: [{ amount: "2000", status: "captured", created_at: "2024-02-01T00:00:01.000000Z", captured_at: "2024-02-01T00:00:03.000000Z", error_code: null, method_details: { type: "card" } }],
    ...overrides,
  };
}

/** A customer with a uid in `custom_data`. */
export function paddleCustomer(overrides: Json = {}): Json {
  return {
    id: CUSTOMER_ID,
    name: "Ada Lovelace",
    email: "ada@example.com",
    locale: "en",
    status: "active",
    marketing_consent: false,
    custom_data: { fullstory_uid: "user_ada" },
    created_at: "2024-01-01T00:00:00.000Z",
    updated_at: "2024-01-15T00:00:00.000000Z",
    ...overrides,
  };
}

/** An approved partial refund of 5.00 USD. */
export function paddleAdjustment(overrides: Json = {}): Json {
  return {
    id: "adj_01hv8y0dzj3x6fxbc9n9kyvyn3",
    action: "refund",
    type: "partial",
    status: "approved",
    reason: "error",
    customer_id: CUSTOMER_ID,
    transaction_id: "txn_01hv8wptq8987qeep44cyrewp9",
    subscription_id: SUBSCRIPTION_ID,
    currency_code: "USD",
    credit_applied_to_balance: null,
    items: [{ id: "adjitm_01hv8y0dzj3x6fxbc9nagk3h3z", item_id: "txnitm_01hv8wt98jahpbm1t1tzr06z6n", type: "partial", amount: "500", proration: null, totals: { subtotal: "500", tax: "0", total: "500" } }],
    totals: { subtotal: "500", tax: "0", total: "500", fee: "0", earnings: "500", retained_fee: "0", currency_code: "USD" },
    created_at: "2024-02-01T00:00:00.000000Z",
    updated_at: "2024-02-01T00:00:00.000000Z",
    ...overrides,
  };
}

/** A notification of `type` around `data`. */
export function paddleEvent(type: string, data: Json, overrides: Json = {}): Json {
  return {
    event_id: "evt_01hv8x2acma2gz7he5xkk8pbdv",
    event_type: type,
    occurred_at: OCCURRED_AT,
    notification_id: "ntf_01hv8x2af5bqx6r8s8qmt0zm8f",
    data,
    ...overrides,
  };
}
