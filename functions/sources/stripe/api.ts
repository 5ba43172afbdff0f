import Stripe from "stripe";
import * as z from "zod";
import { BridgeError, ErrorCode } from "../../errors";
import { ChargeSchema, CustomerSchema, DeletedCustomerSchema, InvoiceSchema, SubscriptionItemSchema, SubscriptionSchema, type Charge, type Customer, type Invoice, type Subscription } from "./schema";

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
}

export interface StripeCallOptions {
  /** Milliseconds the request may take; the client gives up after it (a retryable error). */
  timeoutMs?: number;
}

/**
 * The Stripe API version API mode reads with: the one this `stripe` package is built for, so the
 * objects have the shapes its types (and the schemas here) describe. A key's account default
 * does not apply. https://docs.stripe.com/api/versioning
 */
export const STRIPE_API_VERSION = Stripe.API_VERSION;

export interface StripeApiOptions {
  apiKey: string;
  /** `https://api.stripe.com` unless overridden (`STRIPE_API_URL`, a loopback fake in tests). */
  apiUrl: string;
  /** The default per-request timeout. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
/** Stripe's page size for the lists read here; a customer has few subscriptions. */
const PAGE = 100;

/** Decimal fields come back as the SDK's Decimal objects; their JSON is the decimal string the schemas read. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/**
 * API mode over the official `stripe` client, created once per container: pinned API version, no
 * retries of its own (deliver decides, within the invocation's time), the base URL split into the
 * client's host, port and protocol.
 */
export function createStripeApi({ apiKey, apiUrl, timeoutMs = DEFAULT_TIMEOUT_MS }: StripeApiOptions): StripeApi {
  const url = new URL(apiUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  const stripe = new Stripe(apiKey, {
    apiVersion: STRIPE_API_VERSION,
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    telemetry: false,
  });
  const request = (options?: StripeCallOptions) => ({ timeout: Math.max(1, Math.min(options?.timeoutMs ?? timeoutMs, timeoutMs)) });

  const call = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (err) {
      throw translate(err);
    }
  };
  const one = async <S extends z.ZodType>(schema: S, work: () => Promise<unknown>): Promise<z.infer<S> | undefined> => {
    try {
      return schema.parse(plain(await work()));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw translate(err);
    }
  };
  /** All of a subscription's items when its embedded list stopped at ten. */
  const complete = async (subscription: Subscription, options?: StripeCallOptions): Promise<Subscription> => {
    if (!subscription.items.has_more) return subscription;
    const items = await call(() =>
      stripe.subscriptionItems.list({ subscription: subscription.id, limit: PAGE, expand: ["data.price.tiers"] }, request(options)).autoPagingToArray({ limit: 1_000 }),
    );
    const parsed = z.array(SubscriptionItemSchema).parse(plain(items));
    const [first, ...rest] = parsed;
    return first ? { ...subscription, items: { data: [first, ...rest], has_more: false } } : subscription;
  };

  return {
    async customer(id, options) {
      const found = await one(z.union([CustomerSchema, DeletedCustomerSchema.extend({ deleted: z.literal(true) })]), () =>
        stripe.customers.retrieve(id, {}, request(options)),
      );
      if (found && "deleted" in found) return { id: found.id, deleted: true };
      return found;
    },
    async subscriptions(customerId, options) {
      const page = await call(() =>
        stripe.subscriptions.list({ customer: customerId, status: "all", limit: PAGE, expand: ["data.items.data.price.tiers"] }, request(options)),
      );
      const subscriptions = z.array(SubscriptionSchema).parse(plain(page?.data ?? []));
      return Promise.all(subscriptions.map((s) => complete(s, options)));
    },
    async subscription(id, options) {
      const found = await one(SubscriptionSchema, () => stripe.subscriptions.retrieve(id, { expand: ["items.data.price.tiers"] }, request(options)));
      return found ? complete(found, options) : undefined;
    },
    async paidInvoices(customerId, options) {
      const page = await call(() => stripe.invoices.list({ customer: customerId, status: "paid", limit: 10 }, request(options)));
      return z.array(InvoiceSchema).parse(plain(page?.data ?? []));
    },
    invoice: (id, options) => one(InvoiceSchema, () => stripe.invoices.retrieve(id, {}, request(options))),
    charge: (id, options) => one(ChargeSchema, () => stripe.charges.retrieve(id, {}, request(options))),
  };
}

const isMissing = (err: unknown): boolean =>
  err instanceof Stripe.errors.StripeInvalidRequestError && (err.statusCode === 404 || err.code === "resource_missing");

/**
 * A Stripe failure as the bridge's error. 401/403: the key (waiting helps once it is fixed). No
 * answer, 409 (a lock on the object), 429, 5xx, or `Stripe-Should-Retry: true`: Stripe asks to try
 * again later. Anything else (a 400 to a read) is a bug of ours, rethrown as it is.
 * https://docs.stripe.com/rate-limits https://docs.stripe.com/error-low-level#idempotency
 */
function translate(err: unknown): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  const status = err.statusCode;
  if (status === 401 || status === 403) {
    return new BridgeError(
      ErrorCode.ProviderUnauthorized,
      "Stripe refused the API key (STRIPE_API_KEY): is it live, and may it read customers, subscriptions, invoices and charges?",
      { cause: err },
    );
  }
  const shouldRetry = err.headers?.["stripe-should-retry"] === "true";
  if (status === undefined || status === 409 || status === 429 || status >= 500 || shouldRetry) {
    return new BridgeError(ErrorCode.ProviderUnavailable, `Stripe could not answer right now (${status ?? err.type}).`, { cause: err });
  }
  return err;
}

/**
 * API mode whose key is read when first needed (from SSM on a deployed stage, cached there), with
 * one client per key value: a rotated key takes over as soon as the parameter store returns it.
 */
export function stripeApiWithKey(getKey: () => Promise<string>, apiUrl: string): StripeApi {
  let current: { key: string; api: StripeApi } | undefined;
  const api = async (): Promise<StripeApi> => {
    const key = (await getKey()).trim();
    if (current?.key !== key) current = { key, api: createStripeApi({ apiKey: key, apiUrl }) };
    return current.api;
  };
  return {
    customer: async (id, o) => (await api()).customer(id, o),
    subscriptions: async (id, o) => (await api()).subscriptions(id, o),
    subscription: async (id, o) => (await api()).subscription(id, o),
    paidInvoices: async (id, o) => (await api()).paidInvoices(id, o),
    invoice: async (id, o) => (await api()).invoice(id, o),
    charge: async (id, o) => (await api()).charge(id, o),
  };
}
