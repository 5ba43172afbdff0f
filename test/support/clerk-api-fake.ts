import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Clerk Backend API fake on loopback, serving what the backfill reads: `GET /v1/users`, a JSON
 * array of User objects, with `limit` (1-500, default 10), `offset`, `order_by` (`created_at` or
 * `updated_at`, `+`/`-` for the direction, default `-created_at`) and `created_at_after` /
 * `created_at_before` (ms, exclusive), behind `Authorization: Bearer <secret key>`. Errors have
 * Clerk's shape (`{errors: [{message, long_message, code}], clerk_trace_id}`); a 429 carries
 * `Retry-After` in seconds, as Clerk's rate limiter sends it.
 * https://clerk.com/docs/reference/backend-api/tag/users/get/users
 * https://clerk.com/docs/guides/how-clerk-works/system-limits
 * (and Clerk's OpenAPI description, github.com/clerk/openapi-specs, bapi: GetUserList, ClerkErrors)
 */

type Json = Record<string, unknown>;

export type ClerkFault = { status: 429; retryAfterSeconds: number } | { status: 500 | 503 };

export interface ClerkRequest {
  path: string;
  query: URLSearchParams;
  status: number;
}

export interface ClerkApiFake {
  url: string;
  /** The secret key it accepts. */
  secretKey: string;
  /** The instance's users (Clerk User objects). */
  users: Json[];
  /** Consumed in order, one per request. */
  faults: ClerkFault[];
  requests: ClerkRequest[];
  /** Told of each request as it arrives (a test interrupts a run there). */
  onRequest?: (request: ClerkRequest) => void;
  stop(): Promise<void>;
}

const error = (code: string, message: string, longMessage: string) => ({
  errors: [{ message, long_message: longMessage, code, meta: {} }],
  clerk_trace_id: "trace_fake",
});

/** Starts the fake on 127.0.0.1 and an ephemeral port, with no users. */
export async function startClerkApiFake({ secretKey = "sk_test_backfill_fake" }: { secretKey?: string } = {}): Promise<ClerkApiFake> {
  const fake: Omit<ClerkApiFake, "url" | "stop"> = { secretKey, users: [], faults: [], requests: [] };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://clerk.fake");
    const record: ClerkRequest = { path: url.pathname, query: url.searchParams, status: 0 };
    fake.requests.push(record);
    fake.onRequest?.(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    const fault = fake.faults.shift();
    if (fault?.status === 429) {
      return send(429, error("too_many_requests", "Too many requests", "Too many requests, please retry later"), { "retry-after": String(fault.retryAfterSeconds) });
    }
    if (fault) return send(fault.status, error("internal_clerk_error", "Oops, an unexpected error occurred", "There was an internal error on our servers."));
    if (req.headers.authorization !== `Bearer ${fake.secretKey}`) {
      return send(401, error("authentication_invalid", "Invalid authentication", "Unable to authenticate the request, you need to supply an active secret key"));
    }
    if (req.method !== "GET" || url.pathname !== "/v1/users") return send(404, error("resource_not_found", "not found", "Resource not found"));

    const q = url.searchParams;
    const invalid = (param: string) => send(422, error("form_param_value_invalid", "is invalid", `${param} is invalid`));
    const limit = Number(q.get("limit") ?? 10);
    const offset = Number(q.get("offset") ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return invalid("limit");
    if (!Number.isInteger(offset) || offset < 0) return invalid("offset");
    const order = /^([+-]?)(created_at|updated_at)$/.exec(q.get("order_by") ?? "-created_at");
    if (!order) return invalid("order_by");
    const [, direction, field] = order as unknown as [string, string, "created_at" | "updated_at"];
    const after = q.get("created_at_after");
    const before = q.get("created_at_before");
    const users = fake.users
      .filter((u) => (after === null || Number(u.created_at) > Number(after)) && (before === null || Number(u.created_at) < Number(before)))
      // Ties in the ordered field keep one order: by id.
      .sort((a, b) => Number(a[field]) - Number(b[field]) || String(a.id).localeCompare(String(b.id)));
    if (direction === "-") users.reverse();
    return send(200, users.slice(offset, offset + limit));
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handle(req, res));
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
