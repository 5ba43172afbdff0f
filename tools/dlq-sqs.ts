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
import { sqsBatches } from "../functions/queue/limits";
import { failureAttributes } from "../functions/queue/sqs";
import { eventIdOf, planRedrive, viewOf, type DeadLetterBackend, type RedriveOptions, type RedriveOutcome } from "./dead-letters";

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
  /** The stage's state table, where letters wait for a uid (output `stateTableName`). */
  stateTable?: string;
}

/** Where `sst deploy` leaves the outputs `run()` returns. https://github.com/anomalyco/ion/pull/742 */
export const SST_OUTPUTS_FILE = ".sst/outputs.json";

const StageOutputsSchema = z.looseObject({ stage: z.string(), queueUrl: z.url(), deadLetterQueueUrl: z.url(), stateTableName: z.string().optional() });

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
  const { queueUrl, deadLetterQueueUrl, stateTableName } = parsed.data;
  return stateTableName ? { queueUrl, deadLetterQueueUrl, stateTable: stateTableName } : { queueUrl, deadLetterQueueUrl };
}

/**
 * How long list and redrive hold what they received; what they leave is made visible again as soon
 * as they are done, so the hold only matters if the tool dies mid-run.
 */
const HOLD_SECONDS = { list: 30, redrive: 60 } as const;

/** The attribute a letter moved to the back of its group carries, naming the run that moved it. */
const ROTATION_ATTRIBUTE = "rotation";

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
    for (const batch of sqsBatches(messages)) {
      const entries = batch.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
      await client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: dlq, Entries: entries }));
    }
  };

  /** Send first, then delete: a crash in between leaves a duplicate, never a loss. */
  const moveTo = async (queueUrl: string, m: Message, body: string, groupId: string, attributes?: Message["MessageAttributes"]) => {
    // A fresh deduplication id: the original may still be inside SQS's five-minute window.
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
    await client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: groupId, MessageDeduplicationId: randomUUID(), MessageAttributes: attributes }),
    );
    await client.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: m.ReceiptHandle }));
  };

  /**
   * Redrives the letters of one event wherever they wait. SQS FIFO shows only the oldest letter of
   * each group (uid) until it is deleted, so a letter behind others of its user cannot be received
   * in place: each group is turned once round, its head sent to the back (with the failure it
   * carries) and deleted, until the letter is met and every group that was turned has come full
   * circle, which leaves each group in its original order. Groups not turned are only looked at.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
   */
  const redriveEvent = async (options: RedriveOptions & { eventId: string }, mainQueue: string): Promise<{ outcomes: RedriveOutcome[]; left: Message[] }> => {
    const run = randomUUID();
    const turning = new Set<string>();
    const outcomes: RedriveOutcome[] = [];
    const left: Message[] = [];
    let found = false;
    await receiveAll(HOLD_SECONDS.redrive, async (m) => {
      const group = m.Attributes?.MessageGroupId ?? "";
      const body = m.Body ?? "";
      if (m.MessageAttributes?.[ROTATION_ATTRIBUTE]?.StringValue === run) {
        // The group's first letter is back at its head: it has come full circle.
        turning.delete(group);
        left.push(m);
        return;
      }
      const plan = eventIdOf(body) === options.eventId ? planRedrive(body, options) : undefined;
      if (plan?.kind === "send") {
        await moveTo(mainQueue, m, plan.body, plan.groupId);
        outcomes.push({ id: m.MessageId ?? "", event_id: options.eventId, redriven: true });
        found = true;
        return;
      }
      if (plan?.kind === "keep") {
        outcomes.push({ id: m.MessageId ?? "", event_id: options.eventId, redriven: false, why: plan.why });
        found = true;
      }
      if (found && !turning.has(group)) {
        left.push(m);
        return;
      }
      turning.add(group);
      const attributes = { ...failureAttributes(failureOf(m)), [ROTATION_ATTRIBUTE]: { DataType: "String", StringValue: run } };
      await moveTo(dlq, m, body, group, attributes);
    });
    return { outcomes, left };
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
      if (options.eventId !== undefined) {
        const { outcomes, left } = await redriveEvent({ ...options, eventId: options.eventId }, mainQueue);
        await release(left);
        return outcomes;
      }
      const outcomes: RedriveOutcome[] = [];
      const left: Message[] = [];
      await receiveAll(HOLD_SECONDS.redrive, async (m) => {
        const body = m.Body ?? "";
        const eventId = eventIdOf(body) ?? null;
        const plan = planRedrive(body, options);
        if (plan.kind === "keep") {
          left.push(m);
          outcomes.push({ id: m.MessageId ?? "", event_id: eventId, redriven: false, why: plan.why });
          return;
        }
        await moveTo(mainQueue, m, plan.body, plan.groupId);
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

export function defaultClient(queueUrl: string): SQSClient {
  const region = queueRegion(queueUrl);
  return new SQSClient(region ? { region } : {});
}
