import type { Failure, QueueMessage } from "../message";

/** A message parked on the dead-letter queue: the body as it was, and why it is there. */
export interface DeadLetter {
  body: string;
  failure: Failure;
  groupId: string;
  /** The original message's deduplication id (a redrive sends it with this id again). */
  deduplicationId: string;
}

/**
 * What ingest and deliver need of a queue: SQS FIFO when deployed, the embedded store locally.
 * Both methods resolve only once the message is durably stored, and throw a BridgeError with code
 * `queue_unavailable` when it is not (ingest then answers 503 and the source retries).
 */
export interface QueuePort {
  send(message: QueueMessage): Promise<void>;
  deadLetter(letter: DeadLetter): Promise<void>;
}
