import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import * as z from "zod";
import { DeadLetterReason, FailureSchema, type Failure } from "../functions/message";
import { eventIdOf, planRedrive, viewOf, type DeadLetterBackend, type RedriveOutcome } from "./dead-letters";

/**
 * The `dlq` verbs over a deployed stage's SQS FIFO queues, through the real SDK (so the SDK's own
 * settings apply: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_SQS). Nothing here can lose a message:
 * list only receives (and makes what it saw visible again), and redrive sends to the main queue
 * before it deletes from the dead-letter queue, so a crash in between duplicates rather than loses;
 * the main queue's deduplication and Fullstory's Idempotency-Key make the duplicate harmless.
 * StartMessageMoveTask is not used: it cannot re-normalise, and SQS emulators lack it.
 */

export interface SqsQueues {
  queueUrl?: string;
  deadLetterQueueUrl: string;
}

/** Where `sst deploy` leaves the outputs `run()` returns. https://github.com/anomalyco/ion/pull/742 */
export const SST_OUTPUTS_FILE = ".sst/outputs.json";

const StageOutputsSchema = z.looseObject({ stage: z.string(), queueUrl: z.url(), deadLetterQueueUrl: z.url() });

/**
 * The queue URLs of `stage` from `.sst/outputs.json`. The file holds the outputs of the last
 * deploy, whichever stage that was, so its `stage` output must name the stage asked for: a purge
 * must never land on another stage's queue.
 */
export function stageQueues(stage: string, file = SST_OUTPUTS_FILE): SqsQueues & { queueUrl: string } {
  if (!existsSync(file)) throw new Error(`${file} not found: run \`sst deploy --stage ${stage}\` here, or pass --queue-url and --dead-letter-queue-url.`);
  const parsed = StageOutputsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} lacks stage, queueUrl or deadLetterQueueUrl: pass --queue-url and --dead-letter-queue-url.`);
  if (parsed.data.stage !== stage) {
    throw new Error(`${file} is from the last deploy, of stage "${parsed.data.stage}", not "${stage}": deploy ${stage} again here, or pass the queue URLs.`);
  }
  return { queueUrl: parsed.data.queueUrl, deadLetterQueueUrl: parsed.data.deadLetterQueueUrl };
}

/** How long list and redrive hold what they received before putting back what they leave. */
const HOLD_SECONDS = { list: 30, redrive: 60 } as const;

/** `https://sqs.<region>.amazonaws.com/<account>/<name>`: the queue's region, so no AWS_REGION is needed for it. */
export function queueRegion(queueUrl: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(queueUrl)?.[1];
}

/**
 * The failure a dead letter carries in its message attributes (written by the bridge). A message
 * SQS's redrive policy moved carries none: it ran out of receives, so it reads as
 * `retries_exhausted`, with SQS's approximate receive count and its original send time.
 */
export function failureOf(message: Message): Failure {
  const attrs = message.MessageAttributes ?? {};
  if (attrs.reason?.StringValue) {
    const raw: Record<string, string | number> = {};
    for (const [key, value] of Object.entries(attrs)) {
      if (value.StringValue === undefined) continue;
      raw[key] = value.DataType === "Number" ? Number(value.StringValue) : value.StringValue;
    }
    const parsed = FailureSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
  }
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    reason: DeadLetterReason.RetriesExhausted,
    attempts: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    first_failed_at: new Date(Number.isFinite(sent) && sent > 0 ? sent : Date.now()).toISOString(),
  };
}

/**
 * The dead-letter verbs over `queues` (the main queue is needed only by redrive). `client` defaults
 * to one in the dead-letter queue's own region; tests pass one pointed at a loopback emulator.
 */
export function sqsBackend(queues: SqsQueues, client: SQSClient = defaultClient(queues.deadLetterQueueUrl)): DeadLetterBackend {
  const dlq = queues.deadLetterQueueUrl;

  /** Receives every message it can see, holding each for `hold` seconds; stops when a receive brings nothing new. */
  const receiveAll = async (hold: number, onMessage: (m: Message) => Promise<void>) => {
    const seen = new Set<string>();
    for (;;) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: hold,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp", "MessageGroupId"],
        }),
      );
      const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
      if (fresh.length === 0) return;
      for (const m of fresh) {
        seen.add(m.MessageId as string);
        await onMessage(m);
      }
    }
  };

  /** Makes held messages visible again at once, so the next list or redrive need not wait for the hold to end. */
  const release = async (messages: Message[]) => {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
      await client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: dlq, Entries: entries }));
    }
  };

  const depth = async (): Promise<number> => {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  };

  return {
    async list() {
      const held: Message[] = [];
      await receiveAll(HOLD_SECONDS.list, async (m) => {
        held.push(m);
      });
      await release(held);
      const letters = held.map((m) => viewOf(m.MessageId ?? "", m.Body ?? "", failureOf(m)));
      // A FIFO queue hands out a group's next message only once the one before it is deleted,
      // so a look that deletes nothing sees one dead letter per group (per uid).
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
      const total = await depth();
      const note =
        total > letters.length
          ? `The dead-letter queue holds about ${total} messages; SQS FIFO shows only the oldest of each uid until it is redriven or purged.`
          : undefined;
      return note ? { letters, note } : { letters };
    },

    async redrive(options) {
      if (!queues.queueUrl) throw new Error("redrive needs the main queue's URL too (--queue-url, or --stage).");
      const mainQueue = queues.queueUrl;
      const outcomes: RedriveOutcome[] = [];
      const left: Message[] = [];
      await receiveAll(HOLD_SECONDS.redrive, async (m) => {
        const body = m.Body ?? "";
        const eventId = eventIdOf(body) ?? null;
        if (options.eventId && eventId !== options.eventId) {
          left.push(m);
          return;
        }
        const plan = planRedrive(body, options);
        if (plan.kind === "keep") {
          left.push(m);
          outcomes.push({ id: m.MessageId ?? "", event_id: eventId, redriven: false, why: plan.why });
          return;
        }
        // Send first, then delete: a crash in between leaves a duplicate, never a loss. A fresh
        // deduplication id, because the original may still be inside SQS's five-minute window.
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
        await client.send(
          new SendMessageCommand({ QueueUrl: mainQueue, MessageBody: plan.body, MessageGroupId: plan.groupId, MessageDeduplicationId: randomUUID() }),
        );
        await client.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: m.ReceiptHandle }));
        outcomes.push({ id: m.MessageId ?? "", event_id: eventId, redriven: true });
      });
      await release(left);
      return outcomes;
    },

    async purge() {
      const count = await depth();
      await client.send(new PurgeQueueCommand({ QueueUrl: dlq }));
      return count;
    },

    close: () => client.destroy(),
  };
}

function defaultClient(queueUrl: string): SQSClient {
  const region = queueRegion(queueUrl);
  return new SQSClient(region ? { region } : {});
}
