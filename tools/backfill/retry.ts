import { isBridgeError } from "../../functions/errors";

/**
 * Waiting, for the backfill: every wait is a timer (never a tight loop), can be cut short by Ctrl-C,
 * and every retried call has a time budget after which it gives up with its last error, so a run
 * that cannot make progress ends (its checkpoint kept) instead of hanging.
 */

/** Thrown when Ctrl-C cuts a wait short: the run stops where it is; nothing was half-done. */
export class Interrupted extends Error {
  override readonly name = "Interrupted";
  constructor() {
    super("interrupted");
  }
}

/** What a retried call needs: the clock, a sleep, the signal that cuts waits short. */
export interface Waits {
  signal: AbortSignal;
  /** How long one call may keep retrying, in ms, before it gives up. */
  budgetMs: number;
  random?: () => number;
  now?: () => number;
  /** Told of each wait, for the progress line ("Stripe rate limit: waiting 2 s"). */
  onWait?: (what: string, ms: number) => void;
}

/** How a failure is treated: try again after the provider's delay, after a backoff, or not at all. */
export type Verdict = { retry: false } | { retry: true; afterMs?: number; why: string };

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
/**
 * The shortest wait after a 429, whatever its Retry-After says (as deliver does): `Retry-After: 0`
 * must not become back-to-back requests. Waits are spread by up to half again.
 */
export const RETRY_AFTER_FLOOR_MS = 1_000;

/** Sleeps `ms`; rejects with Interrupted as soon as `signal` aborts (or at once if it has). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted());
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    };
    const abort = () => {
      done();
      reject(new Interrupted());
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}

/**
 * The wait before attempt `attempt + 1`: the provider's Retry-After when it gave one (floored and
 * spread), else exponential backoff with full jitter.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function waitFor(verdict: { afterMs?: number }, attempt: number, random: () => number = Math.random): number {
  if (verdict.afterMs !== undefined) {
    const base = Math.max(verdict.afterMs, RETRY_AFTER_FLOOR_MS);
    return Math.round(base + (random() * base) / 2);
  }
  return Math.round(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)) + 100;
}

/**
 * A provider's BridgeError (functions/errors.ts) as a verdict: `provider_unavailable` (429, 5xx, no
 * answer) and the other retryable codes (the state store) wait, honouring a Retry-After carried as
 * the error's `cause.retryAfterMs`; anything else (a refused key, a bug) is not retried.
 */
export function bridgeVerdict(err: unknown): Verdict {
  if (!isBridgeError(err) || !err.retryable || err.code === "provider_unauthorized") return { retry: false };
  const after = (err.cause as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof after === "number" ? { retry: true, afterMs: after, why: err.message } : { retry: true, why: err.message };
}

/**
 * Runs `call` until it succeeds, retrying what `judge` says to retry after the wait it calls for,
 * for at most the budget; then (or on a failure not to retry) rethrows the last error. Ctrl-C
 * during a wait rejects with Interrupted; a call already under way is never cut off.
 */
export async function retrying<T>(what: string, call: () => Promise<T>, judge: (err: unknown) => Verdict, waits: Waits): Promise<T> {
  const now = waits.now ?? Date.now;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const verdict = judge(err);
      if (!verdict.retry) throw err;
      const ms = waitFor(verdict, attempt, waits.random);
      if (now() - started + ms > waits.budgetMs) throw err;
      waits.onWait?.(`${what}: ${verdict.why.replace(/\.$/, "")}`, ms);
      await sleep(ms, waits.signal);
    }
  }
}

/** Maps `items` through `work` with at most `limit` running at once, keeping their order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    try {
      for (let i = next++; i < items.length && !failed; i = next++) results[i] = await work(items[i] as T);
    } catch (err) {
      // The others take no new item: the whole map has failed.
      failed = true;
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
