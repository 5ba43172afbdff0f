/**
 * Amazon SQS's documented limits, which the bridge enforces itself: the loopback emulator used in
 * tests accepts what real SQS refuses (empty attribute values, oversized messages).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
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
