import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A Stripe API fake on loopback for API mode and backfill, driven through the official `stripe`
 * client (its `host`, `port` and `protocol` pointed here). Its objects start as Stripe's own
 * example objects (`../shared/fixtures/stripe/fixtures3.json`, read in place) with a test's
 * overrides, and it serves what API mode reads: retrieve a customer, subscription, invoice or
 * charge; list a customer's subscriptions, a subscription's items, a customer's invoices, and
 * customers (paged with `starting_after`, filtered by `created[gte]`). Errors have Stripe's shape
 * (`{error: {type, code, message}}`); faults (429 with `Stripe-Should-Retry`, 5xx, delays) are
 * injected per request, and every request is recorded. https://docs.stripe.com/api
 */

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURES = path.resolve(projectRoot, "../shared/fixtures/stripe/fixtures3.json");

type Json = Record<string, unknown>;

let resources: Record<string, Json> | undefined;

/** A copy of Stripe's example `name` object (customer, subscription, invoice, charge, …), with `overrides` on top. */
export function stripeExample(name: string, overrides: Json = {}): Json {
  if (!existsSync(FIXTURES)) {
    throw new Error(`Stripe's example objects are missing: expected ${FIXTURES} (../shared/fixtures beside the project root). The Stripe API fake is built from them.`);
  }
  resources ??= (JSON.parse(readFileSync(FIXTURES, "utf8")) as { resources: Record<string, Json> }).resources;
  const found = resources[name];
  if (!found) throw new Error(`${FIXTURES} has no "${name}" resource`);
  return { ...structuredClone(found), ...overrides };
}

export type StripeFault = { status: 429 | 500 | 502 | 503; shouldRetry?: boolean } | { delayMs: number };

export interface StripeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
}

export interface StripeApiFake {
  url: string;
  /** The API key the fake accepts (`Authorization: Bearer <key>`). */
  apiKey: string;
  customers: Map<string, Json>;
  /** Each with all its items in `items.data`: the fake embeds ten, as Stripe does, and says `has_more`. */
  subscriptions: Map<string, Json>;
  invoices: Map<string, Json>;
  charges: Map<string, Json>;
  /** Consumed in order, one per request. */
  faults: StripeFault[];
  /** Added to every response. */
  latencyMs: number;
  requests: StripeRequest[];
  stop(): Promise<void>;
}

const list = (data: Json[], url: string, hasMore = false): Json => ({ object: "list", data, has_more: hasMore, url });

/** Starts the fake on 127.0.0.1 and an ephemeral port, with no objects; tests add them. */
export async function startStripeApiFake({ apiKey = "rk_test_bridge_read_only" }: { apiKey?: string } = {}): Promise<StripeApiFake> {
  const fake: Omit<StripeApiFake, "url" | "stop"> = {
    apiKey,
    customers: new Map(),
    subscriptions: new Map(),
    invoices: new Map(),
    charges: new Map(),
    faults: [],
    latencyMs: 0,
    requests: [],
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://stripe.fake");
    const record: StripeRequest = { method: req.method ?? "", path: url.pathname, query: url.searchParams, status: 0 };
    fake.requests.push(record);
    const send = (status: number, body: Json, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json", "request-id": `req_${fake.requests.length}`, ...headers });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, type: string, message: string, code?: string, headers: Record<string, string> = {}) =>
      send(status, { error: { type, message, ...(code ? { code } : {}) } }, headers);

    if (fake.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.latencyMs));
    const fault = fake.faults.shift();
    if (fault && "delayMs" in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault && "status" in fault) {
      const headers = { "stripe-should-retry": String(fault.shouldRetry ?? true) };
      if (fault.status === 429) return error(429, "rate_limit_error", "Too many requests hit the API too quickly.", "rate_limit", headers);
      return error(fault.status, "api_error", "An error occurred with our connection to Stripe.", undefined, headers);
    }
    if (req.headers.authorization !== `Bearer ${fake.apiKey}`) {
      return error(401, "invalid_request_error", "Invalid API Key provided.");
    }
    if (req.method !== "GET") return error(405, "invalid_request_error", "API mode only reads.");

    const missing = (what: string, id: string) => error(404, "invalid_request_error", `No such ${what}: '${id}'`, "resource_missing");
    const one = (store: Map<string, Json>, what: string, id: string) => {
      const found = store.get(id);
      return found ? send(200, what === "subscription" ? embedded(found) : found) : missing(what, id);
    };
    const q = url.searchParams;
    const limit = Math.min(Number(q.get("limit") ?? 10), 100);
    const page = (all: Json[]): [Json[], boolean] => {
      const after = q.get("starting_after");
      const start = after ? all.findIndex((o) => o.id === after) + 1 : 0;
      return [all.slice(start, start + limit), start + limit < all.length];
    };

    let m: RegExpExecArray | null;
    if ((m = /^\/v1\/customers\/([^/]+)$/.exec(url.pathname))) return one(fake.customers, "customer", decodeURIComponent(m[1] as string));
    if ((m = /^\/v1\/subscriptions\/([^/]+)$/.exec(url.pathname))) return one(fake.subscriptions, "subscription", decodeURIComponent(m[1] as string));
    if ((m = /^\/v1\/invoices\/([^/]+)$/.exec(url.pathname))) return one(fake.invoices, "invoice", decodeURIComponent(m[1] as string));
    if ((m = /^\/v1\/charges\/([^/]+)$/.exec(url.pathname))) return one(fake.charges, "charge", decodeURIComponent(m[1] as string));
    if (url.pathname === "/v1/customers") {
      const since = Number(q.get("created[gte]") ?? 0);
      const all = [...fake.customers.values()].filter((c) => !c.deleted && Number(c.created ?? 0) >= since);
      // Stripe lists newest first.
      all.sort((a, b) => Number(b.created ?? 0) - Number(a.created ?? 0));
      const [data, more] = page(all);
      return send(200, list(data, "/v1/customers", more));
    }
    if (url.pathname === "/v1/subscriptions") {
      const customer = q.get("customer");
      const status = q.get("status") ?? "active";
      const all = [...fake.subscriptions.values()].filter((s) => (!customer || s.customer === customer) && (status === "all" || s.status === status));
      all.sort((a, b) => Number(b.created ?? 0) - Number(a.created ?? 0));
      const [data, more] = page(all);
      return send(200, list(data.map(embedded), "/v1/subscriptions", more));
    }
    if (url.pathname === "/v1/subscription_items") {
      const subscription = fake.subscriptions.get(q.get("subscription") ?? "");
      if (!subscription) return missing("subscription", q.get("subscription") ?? "");
      const [data, more] = page((subscription.items as { data: Json[] }).data);
      return send(200, list(data, "/v1/subscription_items", more));
    }
    if (url.pathname === "/v1/invoices") {
      const customer = q.get("customer");
      const status = q.get("status");
      const all = [...fake.invoices.values()].filter((i) => (!customer || i.customer === customer) && (!status || i.status === status));
      all.sort((a, b) => Number(b.created ?? 0) - Number(a.created ?? 0));
      const [data, more] = page(all);
      return send(200, list(data, "/v1/invoices", more));
    }
    return error(404, "invalid_request_error", `Unrecognized request URL (GET: ${url.pathname}).`);
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => void handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  });
}

/** A subscription as Stripe sends it: its item list embedded up to ten, with `has_more` when there are others. https://docs.stripe.com/api/pagination */
function embedded(subscription: Json): Json {
  const items = (subscription.items as { data: Json[] }).data;
  return { ...subscription, items: { object: "list", data: items.slice(0, 10), has_more: items.length > 10, url: "/v1/subscription_items" } };
}
