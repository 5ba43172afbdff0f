import type { Config, SourceName } from "../config";
import type { LifecycleFact } from "../lifecycle";
import type { UserPatch } from "../upsert";

/** What a verifier gets: the raw body exactly as received, lower-cased headers, the secret list, the clock (ms). */
export interface VerifyInput {
  payload: string;
  headers: Readonly<Record<string, string | undefined>>;
  secrets: readonly string[];
  now: number;
}

/** What a verified request tells about itself besides the body (Standard Webhooks carry the id in a header). */
export interface Verified {
  /**
   * The event id from the signature headers, when the scheme has one (`webhook-id`), or one the
   * verifier derives from the signed body when the sender documents none (Lemon Squeezy).
   */
  id?: string;
  /** The signed timestamp, seconds since the epoch (the time of receipt when the scheme signs none). */
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

/**
 * The stale-event guard's view of an event: the family of properties it writes for one account
 * (`subscription:cus_123`: every subscription event of that customer writes the same plan, MRR and
 * status) and where it stands in that family's order (event time in ms, or the provider's own
 * per-object version). An event older than what was last written for its key is not written.
 */
export interface EventOrder {
  key: string;
  at: number;
}

/**
 * What to fetch in API mode instead of trusting the event's snapshot (Stripe: a customer, the
 * customer's subscriptions, its paid invoices, an invoice, a charge), by the provider's own id.
 */
export interface Refresh {
  family: string;
  id: string;
}

/**
 * A verified event mapped to what it says of a Fullstory user. `uid` is set when the payload names
 * the user; `subject` is the provider's id of the account the event is about (Stripe customer,
 * Clerk user), which the identity directory resolves to a uid when the payload has none, and which
 * learns `subject → uid` when it has both. `patch` is null only for events that carry no state of
 * their own (Stripe thin events), which `refresh` fetches. `events` are the lifecycle moments the
 * event records (functions/sources/lifecycle.ts), under their default names: whether and as what
 * they are sent is the settings' business (functions/lifecycle.ts).
 */
export interface Mapped {
  uid?: string;
  subject?: string;
  patch: UserPatch | null;
  order?: EventOrder;
  refresh?: Refresh;
  events?: LifecycleFact[];
}

export type Normalised = { kind: "mapped"; mapped: Mapped } | { kind: "ignored"; reason: string };

export type Parsed<T> =
  | { kind: "event"; event: SourceEvent<T> }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; issues: string[] };

/**
 * One webhook source. `verify` throws a BridgeError with code `invalid_signature` when no secret
 * matches; `parse` validates the JSON body with the source's zod schema (unmapped event types are
 * `ignored`, schema mismatches `invalid` with paths only); `normalise` is pure: what the event
 * itself says, nothing looked up (the identity directory and API mode are deliver's).
 */
export interface Source<T = unknown> {
  name: SourceName;
  /**
   * True for a source whose authentication does not cover the body (Chargebee's Basic
   * credentials): nothing else would refuse a body that is not UTF-8, so ingest does.
   */
  unsignedBody?: boolean;
  verify(input: VerifyInput): Verified;
  parse(body: unknown, verified: Verified): Parsed<T>;
  normalise(event: SourceEvent<T>, config: Config): Normalised;
}
