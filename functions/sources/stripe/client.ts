import Stripe from "stripe";
import * as z from "zod";
import { BridgeError, ErrorCode } from "../../errors";
import { STRIPE_API_VERSION, type StripeApi, type StripeCallOptions } from "./api";
import { ChargeSchema, CustomerSchema, DeletedCustomerSchema, InvoiceSchema, SubscriptionItemSchema, SubscriptionSchema, type Subscription } from "./schema";

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
    async customers({ limit, startingAfter, createdGte }, options) {
      const page = await call(() =>
        stripe.customers.list(
          { limit, ...(startingAfter ? { starting_after: startingAfter } : {}), ...(createdGte === undefined ? {} : { created: { gte: createdGte } }) },
          request(options),
        ),
      );
      return { data: z.array(CustomerSchema).parse(plain(page?.data ?? [])), hasMore: page?.has_more ?? false };
    },
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

