import { idempotencyKey } from "../message";
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
  /** The event the upsert comes from: with the uid and the body, it makes the Idempotency-Key. */
  source: string;
  eventId: string;
}

/**
 * The headers of every request to Fullstory's V2 API: the key verbatim after `Basic` (Fullstory's
 * scheme, not base64 of user:pass), JSON, and the integration's name.
 * https://developer.fullstory.com/server/v2/authentication/
 */
export function fullstoryHeaders(apiKey: string): Record<string, string> {
  return { authorization: `Basic ${apiKey}`, "content-type": "application/json", "integration-source": "fullstory-webhook-bridge" };
}

/**
 * Builds the Fullstory V2 create-or-update user request (`POST /v2/users`), pure and testable
 * without HTTP, with its Idempotency-Key (see `idempotencyKey`). The key goes verbatim after `Basic` (Fullstory's scheme, not base64 of user:pass).
 * https://developer.fullstory.com/server/users/create-user/
 * https://developer.fullstory.com/server/v1/getting-started
 */
export function buildUpsertRequest({ apiUrl, apiKey, upsert, source, eventId }: UpsertRequestInput): FullstoryRequest {
  const url = new URL(apiUrl);
  const body = JSON.stringify(upsert);
  return {
    origin: url.origin,
    path: `${url.pathname.replace(/\/+$/, "")}/v2/users`,
    method: "POST",
    headers: { ...fullstoryHeaders(apiKey), "idempotency-key": idempotencyKey(source, eventId, upsert.uid, body) },
    body,
  };
}
