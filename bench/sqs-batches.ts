import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { deduplicationId, messageGroupId, type QueueMessage } from "../functions/message";

/** Lambda's SQS event source mapping hands deliver at most this many messages (stacks/queue.ts). */
export const BATCH_SIZE = 10;
/** The deliver function's timeout (the stage default in stacks/settings.ts), for an honest remaining time. */
export const DELIVER_TIMEOUT_MS = 30_000;
const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:bridge-queue.fifo";

/** An SQS FIFO record as Lambda's event source mapping hands it to the function. */
export function sqsRecord(message: QueueMessage, n: number): SQSRecord {
  const uid = message.uid;
  return {
    messageId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    receiptHandle: `receipt-${n}`,
    body: JSON.stringify(message),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "AROAEXAMPLE:ingest",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      SequenceNumber: String(18_000_000_000_000_000_000 + n),
      MessageGroupId: messageGroupId(uid, message.source, message.event_id),
      MessageDeduplicationId: deduplicationId(message.source, message.event_id, uid),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "us-east-1",
  };
}

/** `messages` as the SQS events of batches of BATCH_SIZE, their records numbered from `offset`. */
export function toBatches(messages: QueueMessage[], offset: number): SQSEvent[] {
  return Array.from({ length: Math.ceil(messages.length / BATCH_SIZE) }, (_, b) => ({
    Records: messages.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE).map((m, i) => sqsRecord(m, offset + b * BATCH_SIZE + i)),
  }));
}

/** A context whose remaining time counts down from the function's timeout, as Lambda's does. */
export function lambdaContext(): Pick<Context, "getRemainingTimeInMillis"> {
  const deadline = Date.now() + DELIVER_TIMEOUT_MS;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

/** Runs `work` over `items` with `workers` of them in flight at a time. */
export async function pool<T>(items: T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}
