import type { Failure } from "../message";

/**
 * The bridge's small durable state, kept beside the queue: the identity directory (a source's id
 * of an account, its "subject", → the Fullstory uid), the stale-event guard's watermarks (per
 * source and order key, the position of the last event written), and the letters that wait for a
 * uid to be learned. DynamoDB on a deployed stage, tables of the local SQLite file in local mode.
 * Keys are per source: one provider's ids never meet another's.
 */
export interface StateStore {
  /** The uid of each subject and the watermark of each key asked for; absent ones are left out. */
  read(request: StateRequest, options?: StateCallOptions): Promise<StateSnapshot>;
  /** Records `subject → uid`; says whether that was news, and the uid it replaced when it changed. */
  learn(source: string, subject: string, uid: string, options?: StateCallOptions): Promise<Learned>;
  /** Raises the watermark of `key` to `at`, unless it already stands at or past it. */
  advance(source: string, key: string, at: number, options?: StateCallOptions): Promise<void>;
  /** Remembers lifecycle events Fullstory accepted, by `sentEventId` (for as long as a dead letter may wait). */
  markSent(ids: string[], options?: StateCallOptions): Promise<void>;
  /** Parks a letter until `subject`'s uid is learned (or, for `#…` subjects, a setting is made). */
  park(letter: WaitingLetter, options?: StateCallOptions): Promise<void>;
  /** The letters waiting on `subject`, oldest first. */
  waiting(source: string, subject: string, options?: StateCallOptions): Promise<ParkedLetter[]>;
  /** Removes a parked letter once it is back on the queue. */
  unpark(letter: ParkedLetter, options?: StateCallOptions): Promise<void>;
  /** Every parked letter, oldest first (for the `dlq` tool and `status`). */
  listParked(): Promise<ParkedLetter[]>;
}

export interface StateCallOptions {
  /** Milliseconds the call may take before it is abandoned (a retryable BridgeError). */
  timeoutMs?: number;
}

export interface StateRequest {
  subjects: { source: string; subject: string }[];
  orders: { source: string; key: string }[];
  /** Lifecycle event ids (`sentEventId`) to check. */
  sent?: string[];
}

export interface StateSnapshot {
  /** By `stateKey(source, subject)`. */
  uids: Map<string, string>;
  /** By `stateKey(source, key)`. */
  watermarks: Map<string, number>;
  /** The asked-for lifecycle event ids Fullstory already accepted. */
  sent: Set<string>;
}

export interface Learned {
  /** True when the directory did not already hold this uid for the subject. */
  changed: boolean;
  /** The uid the subject had before, when it had another one. */
  previous?: string;
}

/** A letter that waits in the state store rather than on the dead-letter queue, so it can be found by subject. */
export interface WaitingLetter {
  source: string;
  subject: string;
  body: string;
  groupId: string;
  deduplicationId: string;
  failure: Failure;
  /**
   * The queue's id of the message this letter replaces, when deliver parks one it received:
   * local mode takes the message off its queue in the same commit.
   */
  messageId?: string;
}

export interface ParkedLetter extends Omit<WaitingLetter, "messageId"> {
  /** The store's own id of the letter. */
  id: string;
}

/** The subject letters wait on when they need Stripe API mode (thin events) rather than a uid. */
export const STRIPE_API_KEY_SUBJECT = "#stripe_api_key";

/** The key of a (source, subject or order key) pair in a snapshot's maps. */
export const stateKey = (source: string, key: string): string => `${source}\n${key}`;
