import { randomUUID } from "node:crypto";
import { SQSClient, SendMessageCommand, type MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { Config } from "../config";
import { BridgeError, ErrorCode } from "../errors";
import { deduplicationId, messageGroupId, type Failure, type QueueMessage } from "../message";
import type { DeadLetter, QueuePort } from "./port";

export interface SqsQueueOptions {
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Created once per container by the caller; tests pass one pointed at a loopback emulator. */
  client: SQSClient;
}

/**
 * Dead-letter reasons travel as message attributes, so the body stays exactly what ingest queued
 * (a redrive sends the same bytes back) and messages that SQS's own redrive policy moves, which
 * carry no attributes, read as `retries_exhausted`.
 */
export function failureAttributes(failure: Failure): Record<string, MessageAttributeValue> {
  const attrs: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(failure)) {
    if (value === undefined) continue;
    attrs[key] =
      typeof value === "number"
        ? { DataType: "Number", StringValue: String(value) }
        : { DataType: "String", StringValue: String(value) };
  }
  return attrs;
}

/** The deployed stage's queue pair from `config` (BRIDGE_QUEUE_URL, BRIDGE_DEAD_LETTER_QUEUE_URL). */
export function sqsQueueFromConfig(config: Pick<Config, "queueUrl" | "deadLetterQueueUrl">, client: SQSClient): QueuePort {
  if (!config.queueUrl || !config.deadLetterQueueUrl) {
    throw new BridgeError(ErrorCode.ConfigInvalid, "BRIDGE_QUEUE_URL and BRIDGE_DEAD_LETTER_QUEUE_URL must both be set.");
  }
  return createSqsQueue({ queueUrl: config.queueUrl, deadLetterQueueUrl: config.deadLetterQueueUrl, client });
}

/** The SQS FIFO adapter of the queue port: main queue for delivery, FIFO dead-letter queue beside it. */
export function createSqsQueue({ queueUrl, deadLetterQueueUrl, client }: SqsQueueOptions): QueuePort {
  const sendTo = async (input: ConstructorParameters<typeof SendMessageCommand>[0]): Promise<void> => {
    try {
      await client.send(new SendMessageCommand(input));
    } catch (cause) {
      throw new BridgeError(ErrorCode.QueueUnavailable, "The queue did not accept the message.", { cause });
    }
  };
  return {
    send: (message: QueueMessage) => {
      const uid = message.upsert?.uid ?? null;
      return sendTo({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(message),
        MessageGroupId: messageGroupId(uid, message.source, message.event_id),
        MessageDeduplicationId: deduplicationId(message.source, message.event_id, uid),
      });
    },
    deadLetter: (letter: DeadLetter) =>
      sendTo({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: letter.body,
        MessageGroupId: letter.groupId,
        // Not the original deduplication id: a letter redriven and dead-lettered again within
        // SQS's five-minute deduplication window would be dropped silently.
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
        MessageDeduplicationId: randomUUID(),
        MessageAttributes: failureAttributes(letter.failure),
      }),
  };
}
