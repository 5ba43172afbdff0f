import type { Config, SourceName } from "../config";
import type { Upsert } from "../upsert";

/** What a verifier gets: the raw body exactly as received, lower-cased headers, the secret list, the clock (ms). */
export interface VerifyInput {
  payload: string;
  headers: Readonly<Record<string, string | undefined>>;
  secrets: readonly string[];
  now: number;
}

/** What a verified request tells about itself besides the body (Standard Webhooks carry the id in a header). */
export interface Verified {
  /** The event id from the signature headers, when the scheme has one (`webhook-id`). */
  id?: string;
  /** The signed timestamp, seconds since the epoch. */
  timestamp: number;
}

/** A verified, schema-checked event in the shape every source hands to ingest. */
export interface SourceEvent<T = unknown> {
  id: string;
  type: string;
  /** ISO-8601. */
  occurredAt: string;
  /** Stripe's `livemode`; undefined for sources without test mode. */
  livemode?: boolean;
  data: T;
}

export type Normalised =
  | { kind: "upsert"; upsert: Upsert }
  | { kind: "ignored"; reason: string }
  | { kind: "unresolved" };

export type Parsed<T> =
  | { kind: "event"; event: SourceEvent<T> }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; issues: string[] };

/**
 * One webhook source. `verify` throws a BridgeError with code `invalid_signature` when no secret
 * matches; `parse` validates the JSON body with the source's zod schema (unmapped event types are
 * `ignored`, schema mismatches `invalid` with paths only); `normalise` is pure.
 */
export interface Source<T = unknown> {
  name: SourceName;
  verify(input: VerifyInput): Verified;
  parse(body: unknown, verified: Verified): Parsed<T>;
  normalise(event: SourceEvent<T>, config: Config): Normalised;
}
