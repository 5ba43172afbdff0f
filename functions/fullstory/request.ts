import type { Upsert } from "../upsert";

/** One HTTP request to Fullstory, as the client sends it. */
export interface FullstoryRequest {
  origin: string;
  path: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

export interface UpsertRequestInput {
  /** Base URL, e.g. `https://api.fullstory.com`; a path prefix is kept. */
  apiUrl: string;
  apiKey: string;
  upsert: Upsert;
  /** From `idempotencyKey(source, event_id, uid)`, so retries and redrives are the same request. */
  idempotencyKey: string;
}

/**
 * Builds the Fullstory V2 create-or-update user request (`POST /v2/users`), pure and testable
 * without HTTP. The key goes verbatim after `Basic` (Fullstory's scheme, not base64 of user:pass).
 * https://developer.fullstory.com/server/users/create-user/
 * https://developer.fullstory.com/server/v1/getting-started
 */
export function buildUpsertRequest({ apiUrl, apiKey, upsert, idempotencyKey }: UpsertRequestInput): FullstoryRequest {
  const url = new URL(apiUrl);
  return {
    origin: url.origin,
    path: `${url.pathname.replace(/\/+$/, "")}/v2/users`,
    method: "POST",
    headers: {
      authorization: `Basic ${apiKey}`,
      "content-type": "application/json",
      "idempotency-key": idempotencyKey,
      "integration-source": "fullstory-webhook-bridge",
    },
    body: JSON.stringify(upsert),
  };
}
