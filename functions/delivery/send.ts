import { beforeDeadline } from "../deadline";
import { ErrorCode, isBridgeError } from "../errors";
import type { SendResult } from "../fullstory/client";
import { checkKeyRegion } from "../fullstory/region";
import { buildEventRequest, buildUpsertRequest, type FullstoryRequest } from "../fullstory/request";
import type { LifecycleEvent } from "../lifecycle";
import type { Upsert } from "../upsert";
import type { DeliverDeps } from "./types";

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
/** Time a request needs to be worth starting: a normal Fullstory answer takes a few hundred ms. */
export const MIN_ATTEMPT_MS = 1_000;
/**
 * The shortest wait after a 429, whatever its Retry-After says: `Retry-After: 0` from a rate limiter
 * must not turn into back-to-back resends from every group at once. Waits are spread by up to half
 * again, so groups that were refused together do not come back together.
 */
export const RETRY_AFTER_FLOOR_MS = 1_000;

/** The Fullstory key for one batch: fetched once, refreshed once per stale key after a 401 (see batchKey). */
export interface BatchKey {
  get(): Promise<string>;
  refresh(stale: string): Promise<string>;
}

/**
 * The key for one batch, fetched once. A refresh after a 401 is shared by every group that saw the
 * same stale key, so concurrent 401s cost one SSM call.
 */
export function batchKey(getApiKey: DeliverDeps["getApiKey"]): BatchKey {
  let current: Promise<string> | undefined;
  const refreshes = new Map<string, Promise<string>>();
  return {
    get: () => (current ??= getApiKey()),
    refresh(stale: string): Promise<string> {
      let fresh = refreshes.get(stale);
      if (!fresh) {
        fresh = getApiKey(true);
        refreshes.set(stale, fresh);
        current = fresh;
      }
      return fresh;
    },
  };
}

/** What sending one request (an upsert, an event) came to, after the retries the invocation's time allowed. */
export type Sent =
  | { kind: "ok"; attempts: number; fullstoryId: string }
  | { kind: "rejected"; attempts: number; status: number; code: string; message?: string }
  | { kind: "region_mismatch"; attempts: number; message: string }
  | { kind: "failed"; attempts: number; status?: number; error: string }
  | { kind: "deferred" };

/** Sends `upsert` (from event `eventId` of `source`, which with its body makes the Idempotency-Key), see `sendRequest`. */
export function sendUpsert(upsert: Upsert, source: string, eventId: string, key: BatchKey, deps: DeliverDeps): Promise<Sent> {
  const { apiUrl } = deps.config.fullstory;
  return sendRequest(source, (apiKey) => buildUpsertRequest({ apiUrl, apiKey, upsert, source, eventId }), key, deps);
}

/** Sends one lifecycle event of `uid`, from event `eventId` of `source`, see `sendRequest`. */
export function sendEvent(event: LifecycleEvent, uid: string, source: string, eventId: string, key: BatchKey, deps: DeliverDeps): Promise<Sent> {
  const { apiUrl } = deps.config.fullstory;
  return sendRequest(source, (apiKey) => buildEventRequest({ apiUrl, apiKey, event, uid, source, eventId }), key, deps);
}

/**
 * Sends the request `build` makes with the key, and retries what is retryable within the time
 * left: Retry-After when Fullstory gives one (floored and spread), else jittered exponential
 * backoff; one key refresh after a 401/403. No request starts with less than `minAttemptMs` left,
 * and each is cut off when the time is up.
 */
async function sendRequest(source: string, build: (apiKey: string) => FullstoryRequest, key: BatchKey, deps: DeliverDeps): Promise<Sent> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const minAttemptMs = deps.minAttemptMs ?? MIN_ATTEMPT_MS;
  const { region } = deps.config.fullstory;
  let attempts = 0;
  let refreshed = false;
  let last: SendResult | undefined;
  if (deps.remainingMs() < minAttemptMs) return { kind: "deferred" };
  try {
    let apiKey = await beforeDeadline(key.get(), deps.remainingMs());
    for (;;) {
      checkKeyRegion(apiKey, region);
      // A request starts only with time for it left, and is cut off when that time is up: a
      // Lambda timeout would hand back the whole batch, the other users' delivered messages too.
      const remaining = deps.remainingMs();
      if (remaining < minAttemptMs) break;
      attempts++;
      const started = performance.now();
      last = await deps.fullstory.send(build(apiKey), { timeoutMs: remaining });
      deps.metrics?.fullstory(source, performance.now() - started, last.kind === "ok" ? 200 : last.status);
      if (last.kind === "ok") return { kind: "ok", attempts, fullstoryId: last.id };
      if (last.kind === "permanent") {
        const { status, code, message } = last;
        return message === undefined ? { kind: "rejected", attempts, status, code } : { kind: "rejected", attempts, status, code, message };
      }
      if (last.kind === "auth" && !refreshed) {
        refreshed = true;
        apiKey = await beforeDeadline(key.refresh(apiKey), deps.remainingMs());
        continue;
      }
      const wait = retryWait(last, attempts, random);
      if (deps.remainingMs() - wait < minAttemptMs) break;
      await sleep(wait);
    }
  } catch (err) {
    if (isBridgeError(err, ErrorCode.RegionMismatch)) return { kind: "region_mismatch", attempts, message: err.message };
    const error = isBridgeError(err) ? err.code : ((err as { code?: string }).code ?? "unexpected");
    return { kind: "failed", attempts, error };
  }
  if (attempts === 0) return { kind: "deferred" };
  const status = last && last.kind !== "ok" ? last.status : undefined;
  const error = last?.kind === "retryable" ? last.code : last?.kind === "auth" ? "unauthorized" : "no_time_left";
  return status === undefined ? { kind: "failed", attempts, error } : { kind: "failed", attempts, status, error };
}

/**
 * How long to wait before the next try: Retry-After when Fullstory gives one, floored and spread
 * (see RETRY_AFTER_FLOOR_MS); otherwise exponential backoff with full jitter.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
function retryWait(last: SendResult, attempts: number, random: () => number): number {
  if (last.kind === "retryable" && last.retryAfterMs !== undefined) {
    const base = Math.max(last.retryAfterMs, RETRY_AFTER_FLOOR_MS);
    return base + (random() * base) / 2;
  }
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempts - 1));
}
