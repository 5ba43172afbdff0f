import type { SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QueueMessage } from "../../functions/message";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { deliverContainer } from "../support/deliver-container";
import { inbound, queueMessage } from "../support/deliver-messages";
import { startSqs, type LoopbackSqs } from "../support/fauxqs";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { lambdaContext, readQueue, sqsRecord } from "../support/sqs-lambda";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";

const KEY = "na1.deadline-key";
let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
const STATE_TABLE = "bridge-state";
let ssm: SsmFake;
let fullstory: FullstoryFake;

beforeAll(async () => {
  [sqs, ssm, fullstory, dynamo] = await Promise.all([startSqs(), startSsmFake(), startFullstoryFake({ keys: [KEY] }), startDynamo()]);
  await dynamo.createStateTable(STATE_TABLE);
});
afterAll(() => Promise.all([sqs.stop(), ssm.stop(), fullstory.stop(), dynamo.stop()]));

/**
 * An SQS record as Lambda's event source mapping hands it over; real SQS may put several of one
 * group in a batch. The group is given: messages of several users in one group are sent one after
 * the other (those of one user would go as one upsert).
 */
function record(m: QueueMessage, groupId: string, queueArn: string, receiveCount: number): SQSRecord {
  const { id, body } = inbound(m);
  return sqsRecord({ MessageId: id, ReceiptHandle: id, Body: body, Attributes: { MessageGroupId: groupId, ApproximateReceiveCount: String(receiveCount) } }, queueArn);
}

describe("deliver against the Lambda deadline", () => {
  it("answers before a 7.3 s deadline with Fullstory at 2.5 s, and loses nothing over the redeliveries", async () => {
    const param = "/fullstory-bridge/deadline/fullstory-api-key";
    ssm.set(param, KEY);
    const queue = await sqs.createFifoQueue("deadline");
    // The deployed client timeouts: a 2.5 s answer is slow, not broken.
    const container = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue, env: { FULLSTORY_API_KEY_PARAMETER: param }, clientTimeouts: {} });
    // Three groups of three messages in one batch, each group's in order, as SQS FIFO may batch them.
    const groups = ["ann", "bob", "cy"];
    const users = groups.flatMap((g) => [1, 2, 3].map((round) => `deadline-${g}-${round}`));
    let pending = users.map((uid) => queueMessage(uid, { properties: { round: Number(uid.slice(-1)) } }));
    const groupOf = (m: QueueMessage) => (m.uid ?? "").split("-")[1] as string;
    const receives = new Map<string, number>();
    const budgetMs = 7_300;
    const took: number[] = [];
    fullstory.latencyMs = 2_500;
    try {
      // Lambda's event source mapping, in short: what the handler reports failed comes back in the next batch.
      for (let i = 0; i < 10 && pending.length > 0; i++) {
        const records = pending.map((m) => {
          receives.set(m.event_id, (receives.get(m.event_id) ?? 0) + 1);
          return record(m, groupOf(m), queue.queueArn, receives.get(m.event_id) ?? 1);
        });
        const started = Date.now();
        const { batchItemFailures } = await container.handler({ Records: records }, lambdaContext(budgetMs));
        took.push(Date.now() - started);
        const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
        pending = pending.filter((_, n) => failed.has(records[n]?.messageId ?? ""));
      }
    } finally {
      fullstory.latencyMs = 0;
    }
    expect(pending).toEqual([]);
    expect(took.filter((ms) => ms >= budgetMs)).toEqual([]);
    for (const uid of users) expect(fullstory.users.get(uid)?.properties.round).toBe(Number(uid.slice(-1)));
    // Every update reached Fullstory once: no request ran past an invocation's end to be repeated.
    const accepted = fullstory.requests.filter((r) => r.status === 200 && !r.replayed);
    expect(accepted).toHaveLength(9);
    expect(await readQueue(sqs.client, queue.deadLetterQueueUrl)).toEqual([]);
  }, 120_000);
});
