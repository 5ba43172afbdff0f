import { Pool } from "undici";
import { BridgeError, ErrorCode } from "../../functions/errors";
import { RETRYABLE_CODES, parseRetryAfter } from "../../functions/fullstory/client";

/**
 * The one call the backfill makes to Clerk's Backend API: `GET /v1/users`, paged, with the
 * instance's secret key as a Bearer token. https://clerk.com/docs/reference/backend-api/tag/users/get/users
 */
export interface ClerkApi {
  /** One page of users, as Clerk returns them: a JSON array of User objects. */
  users(page: ClerkUsersRequest): Promise<unknown[]>;
  close(): Promise<void>;
}

export interface ClerkUsersRequest {
  /** 1 to 500 (Clerk's maximum). */
  limit: number;
  offset: number;
  /** Only users created after this time (ms since the epoch). */
  createdAfter?: number;
}

export interface ClerkApiOptions {
  /** The secret key (`sk_live_…`), read when first needed. */
  secretKey: () => Promise<string>;
  /** Where the key comes from, for the message when Clerk refuses it. */
  keySetting: string;
  /** `https://api.clerk.com` unless `CLERK_API_URL` says otherwise; a path prefix is kept. */
  apiUrl: string;
  timeoutMs?: number;
}

/**
 * Creates the client: one keep-alive pool, bounded timeouts, users oldest first (`+created_at`),
 * so that users who sign up while the backfill runs come after it and are read too. Failures are
 * the bridge's errors: 401/403 `provider_unauthorized` naming the key's setting; 429, 5xx and no
 * answer `provider_unavailable`, with Clerk's `Retry-After` as `cause.retryAfterMs`
 * (https://clerk.com/docs/guides/how-clerk-works/system-limits); any other answer an Error with
 * Clerk's own message (its `{errors: [{message, long_message, code}]}` body).
 */
export function createClerkApi({ secretKey, keySetting, apiUrl, timeoutMs = 30_000 }: ClerkApiOptions): ClerkApi {
  const url = new URL(apiUrl);
  const prefix = url.pathname.replace(/\/+$/, "");
  const pool = new Pool(url.origin, { connections: 2, connect: { timeout: 5_000 }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

  return {
    async users({ limit, offset, createdAfter }) {
      const query = new URLSearchParams({ limit: String(limit), offset: String(offset), order_by: "+created_at" });
      if (createdAfter !== undefined) query.set("created_at_after", String(createdAfter));
      let status: number;
      let retryAfter: string | undefined;
      let text: string;
      try {
        const res = await pool.request({
          path: `${prefix}/v1/users?${query}`,
          method: "GET",
          headers: { authorization: `Bearer ${(await secretKey()).trim()}`, accept: "application/json" },
        });
        status = res.statusCode;
        const header = res.headers["retry-after"];
        retryAfter = Array.isArray(header) ? header[0] : header;
        text = await res.body.text();
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        if (typeof code === "string" && RETRYABLE_CODES.has(code)) {
          throw new BridgeError(ErrorCode.ProviderUnavailable, `Clerk could not be reached (${code}).`, { cause });
        }
        throw cause;
      }
      if (status === 200) {
        const users: unknown = JSON.parse(text);
        if (!Array.isArray(users)) throw new Error("Clerk's GET /v1/users answered something other than a list of users.");
        return users;
      }
      if (status === 401 || status === 403) {
        throw new BridgeError(ErrorCode.ProviderUnauthorized, `Clerk refused the secret key (${keySetting}): is it the instance's secret key (sk_live_… or sk_test_…)?`);
      }
      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(retryAfter);
        throw new BridgeError(ErrorCode.ProviderUnavailable, status === 429 ? "Clerk's rate limit" : `Clerk answered ${status}`, {
          cause: { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
        });
      }
      throw new Error(`Clerk answered ${status} to GET /v1/users: ${clerkMessage(text)}`);
    },
    close: () => pool.close(),
  };
}

/** The first error's long message from Clerk's error body, or the body's start. */
function clerkMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { long_message?: string; message?: string; code?: string }[] };
    const first = body.errors?.[0];
    if (first) return `${first.long_message ?? first.message ?? ""} (${first.code ?? "no code"})`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}
