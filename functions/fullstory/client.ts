import { Pool } from "undici";
import type { FullstoryRequest } from "./request";

/**
 * What one send to Fullstory came to, decided once here so the caller only switches on `kind`:
 * `retryable` (429, 408, 409, 5xx, timeouts, resets), `auth` (401/403: the key may have been
 * rotated), `permanent` (other 4xx: the payload must change), with Fullstory's `{code, message}`
 * error body; `message` is absent when the answer had none (an HTML 413 from a proxy, say).
 */
export type SendResult =
  | { kind: "ok"; id: string }
  | { kind: "retryable"; status?: number; retryAfterMs?: number; code: string }
  | { kind: "auth"; status: number }
  | { kind: "permanent"; status: number; code: string; message?: string };

/** Per-call options: the time the request may take at most, after which it is aborted. */
export interface SendOptions {
  /**
   * Milliseconds from now after which the request is abandoned (answered `retryable`, code
   * `deadline`): deliver passes the invocation's remaining time, so no request outlives it.
   */
  timeoutMs?: number;
}

/** The one call site that talks to Fullstory; local mode passes a dry-run one with the same shape. */
export interface FullstoryClient {
  send(request: FullstoryRequest, options?: SendOptions): Promise<SendResult>;
}

export interface FullstoryClientOptions {
  /** Sockets per origin; deliveries beyond it queue in the pool instead of opening more. */
  connections?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export const CLIENT_DEFAULTS = {
  connections: 16,
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 5_000,
  bodyTimeoutMs: 5_000,
  keepAliveTimeoutMs: 30_000,
} as const satisfies Required<FullstoryClientOptions>;

/**
 * Why a request was abandoned when its `timeoutMs` ran out. undici's own headers and body timeouts
 * run on a coarse clock that may fire up to a second late
 * (https://github.com/nodejs/undici/blob/main/lib/util/timers.js), so the caller's deadline is an
 * AbortSignal on a precise timer instead.
 */
export const DEADLINE_CODE = "deadline";

// Transport failures worth another try, by undici's stable error codes (and Node's socket codes,
// which undici passes through for refused or reset connections).
// https://undici.nodejs.org/#/docs/api/Errors
export const RETRYABLE_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Creates the Fullstory client: one keep-alive undici Pool per origin, created on first use and
 * kept for the container's life, with explicit connect/headers/body timeouts and a bounded number
 * of sockets. Every response body is read to the end so its socket goes back to the pool.
 * Transport errors with an unknown code are rethrown: they are bugs, not weather.
 */
export function createFullstoryClient(options: FullstoryClientOptions = {}): FullstoryClient & { close(): Promise<void> } {
  const o = { ...CLIENT_DEFAULTS, ...options };
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: o.connections,
        connect: { timeout: o.connectTimeoutMs },
        headersTimeout: o.headersTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
      });
      pools.set(origin, pool);
    }
    return pool;
  };

  return {
    async send(request, options = {}) {
      const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(Math.max(0, options.timeoutMs));
      try {
        const res = await poolFor(request.origin).request({
          path: request.path,
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal,
        });
        return classify(res.statusCode, header(res.headers["retry-after"]), await res.body.text());
      } catch (err) {
        if (signal?.aborted) return { kind: "retryable", code: DEADLINE_CODE };
        const code = (err as { code?: unknown }).code;
        if (typeof code === "string" && RETRYABLE_CODES.has(code)) return { kind: "retryable", code };
        throw err;
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
  };
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Maps a Fullstory answer to a SendResult (pure; exported for tests). */
export function classify(status: number, retryAfter: string | undefined, body: string, now = Date.now()): SendResult {
  const parsed = parseJson(body);
  if (status >= 200 && status < 300) return { kind: "ok", id: typeof parsed?.id === "string" ? parsed.id : "" };
  if (status === 401 || status === 403) return { kind: "auth", status };
  const code = typeof parsed?.code === "string" && parsed.code !== "" ? parsed.code : `http_${status}`;
  // 409: another request with the same Idempotency-Key was still executing, so Fullstory saved no
  // result for this one and it is safe to send again. (The other idempotency error, the same key
  // with another body, cannot arise: the key is derived from a hash of the body.)
  // https://developer.fullstory.com/server/idempotent-requests
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return retryAfterMs === undefined ? { kind: "retryable", status, code } : { kind: "retryable", status, retryAfterMs, code };
  }
  const message = typeof parsed?.message === "string" && parsed.message !== "" ? parsed.message : undefined;
  return message === undefined ? { kind: "permanent", status, code } : { kind: "permanent", status, code, message };
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` is either delay-seconds or an HTTP date. https://www.rfc-editor.org/rfc/rfc9110#field.retry-after */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
