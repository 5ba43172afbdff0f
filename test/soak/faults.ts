import type { Fault, RecordedRequest } from "../support/fullstory-fake";
import { REJECTED_UID } from "./plan";

/** How often each fault meets a Fullstory request (probabilities per POST). */
export interface FaultRates {
  /** 429 with `Retry-After: 0` (three in four) or `1`. */
  rateLimited: number;
  /** 500, 502 or 503. */
  serverError: number;
  /** A delay the client waits out (under its headers timeout). */
  slow: number;
  /** A delay past the client's headers timeout: the client gives up and retries. */
  stalled: number;
  /**
   * An answer after 2–3 s, under the client's timeout: a send that starts late in an invocation
   * must not run past its end (deliver starts only what can finish, and cuts it off at the deadline).
   */
  verySlow: number;
  /** The socket is destroyed before any answer. */
  dropped: number;
}

export const DEFAULT_FAULT_RATES: FaultRates = { rateLimited: 0.04, serverError: 0.04, slow: 0.03, stalled: 0.005, verySlow: 0.01, dropped: 0.02 };

/**
 * The Fullstory client's timeouts in a soak: a headers timeout of 4 s, so that a 2–3 s answer is
 * slow but valid and a stalled one (over 4 s) is given up on.
 */
export const SOAK_CLIENT_TIMEOUTS = { connectTimeoutMs: 1_000, headersTimeoutMs: 4_000, bodyTimeoutMs: 1_000 };

export type FaultCounts = Record<keyof FaultRates | "rejected", number>;

/** mulberry32: a small seeded generator, so a run's fault sequence follows from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The Fullstory fake's `faultFor` for a soak: a permanent 400 for every upsert of a rejected uid,
 * otherwise a random fault drawn with `rates` (latencies are in milliseconds), counted by kind.
 */
export function randomFaults(rates: FaultRates, random: () => number) {
  const counts: FaultCounts = { rateLimited: 0, serverError: 0, slow: 0, stalled: 0, verySlow: 0, dropped: 0, rejected: 0 };
  const faultFor = (request: RecordedRequest): Fault | undefined => {
    if (request.uid !== undefined && REJECTED_UID.test(request.uid)) {
      counts.rejected++;
      return { status: 400 };
    }
    let r = random();
    const pick = (kind: keyof FaultRates): boolean => {
      if (r < rates[kind]) {
        counts[kind]++;
        return true;
      }
      r -= rates[kind];
      return false;
    };
    if (pick("rateLimited")) return { status: 429, retryAfterSeconds: random() < 0.75 ? 0 : 1 };
    if (pick("serverError")) return { status: [500, 502, 503][Math.floor(random() * 3)] ?? 500 };
    if (pick("slow")) return { delayMs: 20 + Math.floor(random() * 180) };
    if (pick("stalled")) return { delayMs: 4_300 + Math.floor(random() * 500) };
    if (pick("verySlow")) return { delayMs: 2_000 + Math.floor(random() * 1_000) };
    if (pick("dropped")) return { reset: true };
    return undefined;
  };
  return { faultFor, counts };
}
