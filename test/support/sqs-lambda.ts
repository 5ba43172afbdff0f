import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/** A Lambda context whose remaining time counts down, honestly, from a deadline `timeoutMs` away. */
export function lambdaContext(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error("callback-style completion is not used by these handlers");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "deliver",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:deliver",
    memoryLimitInMB: "512",
    awsRequestId: crypto.randomUUID(),
    logGroupName: "/aws/lambda/deliver",
    logStreamName: "test",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** An SQS message as the Lambda event source mapping hands it over. */
export function sqsRecord(m: Message, queueArn: string): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? "",
    receiptHandle: m.ReceiptHandle ?? "",
    body: m.Body ?? "",
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
      SentTimestamp: a.SentTimestamp ?? "0",
      SenderId: a.SenderId ?? "",
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? "0",
      SequenceNumber: a.SequenceNumber,
      MessageGroupId: a.MessageGroupId,
      MessageDeduplicationId: a.MessageDeduplicationId,
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: "us-east-1",
  };
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface Invocation {
  records: SQSRecord[];
  failedIds: string[];
}

/**
 * Plays the Lambda event source mapping for a FIFO queue until it is empty: receive up to 10,
 * invoke, delete what succeeded. Failed messages are made visible again at once (standing in for
 * the visibility timeout), so SQS's redrive policy moves them after maxReceiveCount.
 */
export async function drainQueue(opts: {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  timeoutMs?: number;
  maxInvocations?: number;
}): Promise<Invocation[]> {
  const { client, queueUrl } = opts;
  const invocations: Invocation[] = [];
  for (let i = 0; i < (opts.maxInvocations ?? 100); i++) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
    );
    if (Messages.length === 0) {
      if (await isEmpty(client, queueUrl)) return invocations;
      continue;
    }
    const records = Messages.map((m) => sqsRecord(m, opts.queueArn));
    const { batchItemFailures } = await opts.handler({ Records: records }, lambdaContext(opts.timeoutMs ?? 30_000));
    const failedIds = batchItemFailures.map((f) => f.itemIdentifier);
    invocations.push({ records, failedIds });
    for (const r of records) {
      const input = { QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle };
      if (failedIds.includes(r.messageId)) await client.send(new ChangeMessageVisibilityCommand({ ...input, VisibilityTimeout: 0 }));
      else await client.send(new DeleteMessageCommand(input));
    }
  }
  throw new Error(`queue not drained after ${opts.maxInvocations ?? 100} invocations`);
}

async function isEmpty(client: SQSClient, queueUrl: string): Promise<boolean> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
    }),
  );
  return Object.values(Attributes).every((n) => n === "0");
}

/**
 * Takes everything off a (dead-letter) queue, with message attributes flattened to strings. It
 * deletes as it reads: FIFO hides a group's next message while the one before is in flight.
 */
export async function readQueue(client: SQSClient, queueUrl: string): Promise<{ body: string; attributes: Record<string, string> }[]> {
  const out: { body: string; attributes: Record<string, string> }[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
    );
    if (Messages.length === 0) return out;
    for (const m of Messages) {
      const attributes = Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? ""]));
      out.push({ body: m.Body ?? "", attributes });
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}
