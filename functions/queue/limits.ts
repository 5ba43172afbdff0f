import type { MessageAttributeValue } from "@aws-sdk/client-sqs";

/**
 * Amazon SQS's documented limits, which the bridge enforces itself: the loopback emulator used in
 * tests accepts what real SQS refuses (empty attribute values, oversized messages, characters
 * outside the allowed set), and a refusal met only in production would turn accepted webhooks
 * into endless retries. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
export const SQS_LIMITS = {
  /**
   * The largest message SQS takes, body and message attributes together (names, types and values
   * all count). The queues are created with exactly this `MaximumMessageSize`.
   */
  messageBytes: 1_048_576,
  /** Entries in one SendMessageBatch, DeleteMessageBatch or ChangeMessageVisibilityBatch call. */
  batchEntries: 10,
  /** Message attributes on one message. */
  attributes: 10,
  /** Characters of an attribute name. */
  attributeName: 256,
  /** Characters of a MessageGroupId or MessageDeduplicationId. */
  fifoId: 128,
} as const;

// MessageGroupId and MessageDeduplicationId: alphanumerics and punctuation, 1–128 characters.
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;
// Attribute names: letters, digits, `_`, `-`, `.`; no leading or trailing period, no `..`, and no
// `AWS.` or `Amazon.` prefix (reserved). https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
const ATTRIBUTE_NAME = /^(?!\.)(?!.*\.\.)(?!.*\.$)(?!aws\.|amazon\.)[A-Za-z0-9_.-]{1,256}$/i;
// Characters outside what a body or a string attribute may hold: #x9 | #xA | #xD | #x20–#xD7FF |
// #xE000–#xFFFD | #x10000–#x10FFFF. Lone surrogates are outside too.
const DISALLOWED = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const DISALLOWED_ALL = new RegExp(DISALLOWED.source, "g");

/**
 * JSON for a message body that SQS accepts: JSON.stringify already escapes control characters and
 * lone surrogates; U+FFFE and U+FFFF, which it leaves as they are, are escaped too (the JSON means
 * the same).
 */
export function sqsJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** A string attribute value SQS accepts: disallowed characters become U+FFFD, at most `max` characters. */
export function attributeText(text: string, max = 1024): string {
  return text.replace(DISALLOWED_ALL, "\ufffd").slice(0, max);
}

/** The size SQS counts for a message: the body's UTF-8 bytes plus every attribute's name, type and value. */
export function sqsMessageBytes(body: string, attributes: Record<string, MessageAttributeValue> = {}): number {
  let bytes = Buffer.byteLength(body, "utf8");
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType ?? "", "utf8") + Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return bytes;
}

export interface SqsSendInput {
  body: string;
  groupId: string;
  deduplicationId: string;
  attributes?: Record<string, MessageAttributeValue>;
}

/** Every way `input` breaks SQS's documented limits for a FIFO SendMessage (empty when it breaks none). */
export function sqsLimitProblems({ body, groupId, deduplicationId, attributes = {} }: SqsSendInput): string[] {
  const problems: string[] = [];
  if (body.length === 0) problems.push("the body is empty");
  if (DISALLOWED.test(body)) problems.push("the body holds characters SQS does not allow");
  if (!FIFO_ID.test(groupId)) problems.push("MessageGroupId is not 1-128 printable ASCII characters");
  if (!FIFO_ID.test(deduplicationId)) problems.push("MessageDeduplicationId is not 1-128 printable ASCII characters");
  const names = Object.keys(attributes);
  if (names.length > SQS_LIMITS.attributes) problems.push(`more than ${SQS_LIMITS.attributes} message attributes`);
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    if (!ATTRIBUTE_NAME.test(name)) problems.push(`attribute name ${JSON.stringify(name)} is not allowed`);
    if (!value.DataType) problems.push(`attribute ${name} has no data type`);
    if (!value.StringValue) problems.push(`attribute ${name} is empty`);
    else if (DISALLOWED.test(value.StringValue)) problems.push(`attribute ${name} holds characters SQS does not allow`);
    if (value.DataType === "Number" && value.StringValue && !Number.isFinite(Number(value.StringValue))) problems.push(`attribute ${name} is not a number`);
  }
  const bytes = sqsMessageBytes(body, attributes);
  if (bytes > SQS_LIMITS.messageBytes) problems.push(`the message is ${bytes} bytes, over SQS's ${SQS_LIMITS.messageBytes}`);
  return problems;
}

/** `items` in slices of SQS's batch limit (10), for the *Batch calls. */
export function sqsBatches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += SQS_LIMITS.batchEntries) out.push(items.slice(i, i + SQS_LIMITS.batchEntries));
  return out;
}
