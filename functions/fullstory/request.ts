import type { LifecycleEvent } from "../lifecycle";
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
 * without HTTP, with its Idempotency-Key (see `idempotencyKey`).
 * https://developer.fullstory.com/server/users/create-user/
 */
export function buildUpsertRequest({ apiUrl, apiKey, upsert, source, eventId }: UpsertRequestInput): FullstoryRequest {
  const body = JSON.stringify(upsert);
  return post(apiUrl, "/v2/users", apiKey, idempotencyKey(source, eventId, upsert.uid, body), body);
}

export interface EventRequestInput {
  apiUrl: string;
  apiKey: string;
  event: LifecycleEvent;
  uid: string;
  source: string;
  eventId: string;
}

/**
 * Builds a Fullstory V2 create-event request (`POST /v2/events`) for the user `uid`, stamped with
 * when the event happened, with an Idempotency-Key of its own: derived like an upsert's, from the
 * webhook event, the uid, the event's name and its body.
 * https://developer.fullstory.com/server/events/create-event
 */
export function buildEventRequest({ apiUrl, apiKey, event, uid, source, eventId }: EventRequestInput): FullstoryRequest {
  const body = JSON.stringify({ name: event.name, timestamp: event.timestamp, user: { uid }, properties: event.properties, schema: event.schema });
  return post(apiUrl, "/v2/events", apiKey, idempotencyKey(source, `${eventId}\nevent\n${event.name}`, uid, body), body);
}

/** A JSON POST to `path` under the base URL (a path prefix of the base is kept), with Fullstory's headers. */
function post(apiUrl: string, path: string, apiKey: string, key: string, body: string): FullstoryRequest {
  const url = new URL(apiUrl);
  return {
    origin: url.origin,
    path: `${url.pathname.replace(/\/+$/, "")}${path}`,
    method: "POST",
    headers: { ...fullstoryHeaders(apiKey), "idempotency-key": key },
    body,
  };
}
