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
  /** The socket is destroyed before any answer. */
  dropped: number;
}

export const DEFAULT_FAULT_RATES: FaultRates = { rateLimited: 0.04, serverError: 0.04, slow: 0.03, stalled: 0.005, dropped: 0.02 };

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
  const counts: FaultCounts = { rateLimited: 0, serverError: 0, slow: 0, stalled: 0, dropped: 0, rejected: 0 };
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
    if (pick("stalled")) return { delayMs: 700 + Math.floor(random() * 300) };
    if (pick("dropped")) return { reset: true };
    return undefined;
  };
  return { faultFor, counts };
}
