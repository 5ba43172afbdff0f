import type { Charge, Customer, Invoice, Subscription } from "./schema";

/**
 * What API mode reads of Stripe (a restricted key with read access to Customers, Subscriptions,
 * Invoices and Charges is enough). Each method resolves undefined for an object Stripe does not
 * have (404 `resource_missing`: deleted, or another account's), and throws a BridgeError that says
 * whether waiting helps: `provider_unavailable` (429, 5xx, network; Stripe-Should-Retry honoured),
 * `provider_unauthorized` (401/403: the key). https://docs.stripe.com/error-handling
 */
export interface StripeApi {
  customer(id: string, options?: StripeCallOptions): Promise<Customer | { id: string; deleted: true } | undefined>;
  /** Every subscription of the customer, whatever its status, each with all its items. */
  subscriptions(customerId: string, options?: StripeCallOptions): Promise<Subscription[]>;
  subscription(id: string, options?: StripeCallOptions): Promise<Subscription | undefined>;
  /** The customer's paid invoices, newest first (at most ten). */
  paidInvoices(customerId: string, options?: StripeCallOptions): Promise<Invoice[]>;
  invoice(id: string, options?: StripeCallOptions): Promise<Invoice | undefined>;
  charge(id: string, options?: StripeCallOptions): Promise<Charge | undefined>;
  /**
   * One page of the account's customers, newest first, as Stripe lists them (deleted ones are not
   * listed): after the customer `startingAfter`, created at or after `createdGte` (seconds). For
   * `npm run backfill`. https://docs.stripe.com/api/customers/list
   */
  customers(page: CustomerPageRequest, options?: StripeCallOptions): Promise<CustomerPage>;
}

export interface CustomerPageRequest {
  /** 1 to 100. */
  limit: number;
  startingAfter?: string;
  createdGte?: number;
}

export interface CustomerPage {
  data: Customer[];
  hasMore: boolean;
}

export interface StripeCallOptions {
  /** Milliseconds the request may take; the client gives up after it (a retryable error). */
  timeoutMs?: number;
}

/**
 * The Stripe API version API mode reads with: the one the pinned `stripe` package is built for
 * (`Stripe.API_VERSION`, checked by test/unit/stripe-api-client.test.ts), so the objects have the
 * shapes its types (and the schemas here) describe. A key's account default does not apply.
 * https://docs.stripe.com/api/versioning
 */
export const STRIPE_API_VERSION = "2026-10-28.endive";

/**
 * API mode whose key is read when first needed (from SSM on a deployed stage, cached there), with
 * one client per key value: a rotated key takes over as soon as the parameter store returns it.
 */
export function stripeApiWithKey(getKey: () => Promise<string>, apiUrl: string): StripeApi {
  let current: { key: string; api: StripeApi } | undefined;
  const api = async (): Promise<StripeApi> => {
    const key = (await getKey()).trim();
    if (current?.key !== key) {
      // Loaded on first use: a container without API mode never evaluates the `stripe` package.
      const { createStripeApi } = await import("./client");
      current = { key, api: createStripeApi({ apiKey: key, apiUrl }) };
    }
    return current.api;
  };
  return {
    customer: async (id, o) => (await api()).customer(id, o),
    subscriptions: async (id, o) => (await api()).subscriptions(id, o),
    subscription: async (id, o) => (await api()).subscription(id, o),
    paidInvoices: async (id, o) => (await api()).paidInvoices(id, o),
    invoice: async (id, o) => (await api()).invoice(id, o),
    charge: async (id, o) => (await api()).charge(id, o),
    customers: async (page, o) => (await api()).customers(page, o),
  };
}
