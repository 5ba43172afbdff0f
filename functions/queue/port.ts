import type { Failure, QueueEntry } from "../message";

/** A message parked on the dead-letter queue: the body as it was, and why it is there. */
export interface DeadLetter {
  body: string;
  failure: Failure;
  groupId: string;
  /** The original message's deduplication id (a redrive sends it with this id again). */
  deduplicationId: string;
  /**
   * The queue's own id of the message this letter replaces, when deliver parks a message it
   * received: parking it twice then leaves one letter, and local mode removes the message in the
   * same transaction.
   */
  messageId?: string;
}

/** Per-call options of the queue port. */
export interface QueueCallOptions {
  /** Milliseconds the call may take before it is abandoned (and reported `queue_unavailable`). */
  timeoutMs?: number;
}

/**
 * What ingest and deliver need of a queue: SQS FIFO when deployed, the embedded store locally.
 * Both methods resolve only once the message is durably stored, and throw a BridgeError with code
 * `queue_unavailable` when it is not (ingest then answers 503 and the source retries), or
 * `queue_message_invalid` when the message breaks one of the queue's limits (see queue/limits.ts).
 */
export interface QueuePort {
  /** Queues `entry` (see `queueEntry`) on the main queue. */
  send(entry: QueueEntry, options?: QueueCallOptions): Promise<void>;
  deadLetter(letter: DeadLetter, options?: QueueCallOptions): Promise<void>;
}
