import { createHash } from "node:crypto";
import { SQSClient, SendMessageCommand, type MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { Config } from "../config";
import { BridgeError, ErrorCode } from "../errors";
import type { Failure } from "../message";
import { attributeText, sqsLimitProblems, type SqsSendInput } from "./limits";
import type { DeadLetter, QueueCallOptions, QueuePort } from "./port";

export interface SqsQueueOptions {
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Created once per container by the caller; tests pass one pointed at a loopback emulator. */
  client: SQSClient;
}

/**
 * Dead-letter reasons travel as message attributes, so the body stays exactly what ingest queued
 * (a redrive sends the same bytes back) and messages that SQS's own redrive policy moves, which
 * carry no attributes, read as `retries_exhausted`. A detail that is missing or empty is left out:
 * SQS refuses an empty attribute value.
 */
export function failureAttributes(failure: Failure): Record<string, MessageAttributeValue> {
  const attrs: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(failure)) {
    if (value === undefined || value === "") continue;
    attrs[key] =
      typeof value === "number"
        ? { DataType: "Number", StringValue: String(value) }
        : { DataType: "String", StringValue: attributeText(String(value)) };
  }
  return attrs;
}

/**
 * The entry a dead letter is sent as. Its deduplication id is not the original message's: a letter
 * redriven and dead-lettered again within SQS's five-minute window would be dropped silently. It
 * derives from the id of the message it replaces (unique per SQS message, redriven copies included)
 * and the reason, so deliver parking the same received message twice leaves one letter.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
 */
export function deadLetterEntry(letter: DeadLetter): SqsSendInput {
  const origin = letter.messageId === undefined ? `dedup:${letter.deduplicationId}` : `message:${letter.messageId}`;
  return {
    body: letter.body,
    groupId: letter.groupId,
    deduplicationId: createHash("sha256").update(`${origin}\n${letter.failure.reason}`).digest("hex"),
    attributes: failureAttributes(letter.failure),
  };
}

/** The deployed stage's queue pair from `config` (BRIDGE_QUEUE_URL, BRIDGE_DEAD_LETTER_QUEUE_URL). */
export function sqsQueueFromConfig(config: Pick<Config, "queueUrl" | "deadLetterQueueUrl">, client: SQSClient): QueuePort {
  if (!config.queueUrl || !config.deadLetterQueueUrl) {
    throw new BridgeError(ErrorCode.ConfigInvalid, "BRIDGE_QUEUE_URL and BRIDGE_DEAD_LETTER_QUEUE_URL must both be set.");
  }
  return createSqsQueue({ queueUrl: config.queueUrl, deadLetterQueueUrl: config.deadLetterQueueUrl, client });
}

/**
 * The SQS FIFO adapter of the queue port: main queue for delivery, FIFO dead-letter queue beside
 * it. Every entry is checked against SQS's documented limits before it is sent (see limits.ts): a
 * message SQS would refuse is `queue_message_invalid`, not a retryable outage.
 */
export function createSqsQueue({ queueUrl, deadLetterQueueUrl, client }: SqsQueueOptions): QueuePort {
  const sendTo = async (url: string, entry: SqsSendInput, options: QueueCallOptions = {}): Promise<void> => {
    const problems = sqsLimitProblems(entry);
    if (problems.length > 0) {
      throw new BridgeError(ErrorCode.QueueMessageInvalid, `The message breaks SQS's limits: ${problems.join("; ")}.`);
    }
    const input = {
      QueueUrl: url,
      MessageBody: entry.body,
      MessageGroupId: entry.groupId,
      MessageDeduplicationId: entry.deduplicationId,
      ...(entry.attributes ? { MessageAttributes: entry.attributes } : {}),
    };
    const abortSignal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(Math.max(0, options.timeoutMs));
    try {
      await client.send(new SendMessageCommand(input), { abortSignal });
    } catch (cause) {
      throw new BridgeError(ErrorCode.QueueUnavailable, "The queue did not accept the message.", { cause });
    }
  };
  return {
    send: (entry, options) => sendTo(queueUrl, entry, options),
    deadLetter: (letter, options) => sendTo(deadLetterQueueUrl, deadLetterEntry(letter), options),
  };
}
