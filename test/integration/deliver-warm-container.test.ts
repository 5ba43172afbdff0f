import type { SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CLIENT_DEFAULTS } from "../../functions/fullstory/client";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { deliverContainer } from "../support/deliver-container";
import { inbound, queueMessage } from "../support/deliver-messages";
import { startSqs, type LoopbackSqs } from "../support/fauxqs";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { lambdaContext } from "../support/sqs-lambda";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";

const KEY = "na1.warm-key";
const PARAM = "/fullstory-bridge/warm/fullstory-api-key";
let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
const STATE_TABLE = "bridge-state";
let ssm: SsmFake;
let fullstory: FullstoryFake;

beforeAll(async () => {
  [sqs, ssm, fullstory, dynamo] = await Promise.all([startSqs(), startSsmFake(), startFullstoryFake({ keys: [KEY] }), startDynamo()]);
  await dynamo.createStateTable(STATE_TABLE);
  ssm.set(PARAM, KEY);
});
afterAll(() => Promise.all([sqs.stop(), ssm.stop(), fullstory.stop(), dynamo.stop()]));

/** A batch of ten SQS records for ten users, as the event source mapping would hand them over. */
function batch(b: number, queueArn: string): SQSRecord[] {
  return Array.from({ length: 10 }, (_, i) => {
    const m = inbound(queueMessage(`warm-${b}-${i}`));
    return {
      messageId: m.id,
      receiptHandle: `rh-${m.id}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "0",
        SenderId: "AIDA",
        ApproximateFirstReceiveTimestamp: "0",
        MessageGroupId: m.groupId,
        MessageDeduplicationId: m.id,
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: "us-east-1",
    };
  });
}

it("delivers 10 000 messages from one warm container with one SSM call and a bounded pool", async () => {
  const queue = await sqs.createFifoQueue("warm");
  const { handler, lines } = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue, env: { FULLSTORY_API_KEY_PARAMETER: PARAM } });
  for (let b = 0; b < 1_000; b++) {
    const { batchItemFailures } = await handler({ Records: batch(b, queue.queueArn) }, lambdaContext(30_000));
    expect(batchItemFailures).toEqual([]);
  }
  expect(fullstory.users.size).toBe(10_000);
  expect(lines.filter((l) => l.outcome === "delivered")).toHaveLength(10_000);
  expect(ssm.calls).toBe(1);
  expect(fullstory.connections).toBeLessThanOrEqual(CLIENT_DEFAULTS.connections);
});

it("reads both keys of Stripe API mode with one GetParameters call, once per container", async () => {
  const stripeParam = "/fullstory-bridge/warm/stripe-api-key";
  ssm.set(stripeParam, "rk_live_warm");
  const queue = await sqs.createFifoQueue("warm-api-mode");
  const env = { FULLSTORY_API_KEY_PARAMETER: PARAM, STRIPE_API_KEY_PARAMETER: stripeParam, STRIPE_API_URL: "http://127.0.0.1:9" };
  const { handler } = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue, env });
  const before = { calls: ssm.calls, batch: ssm.batchCalls };
  for (let b = 0; b < 3; b++) {
    const { batchItemFailures } = await handler({ Records: batch(2_000 + b, queue.queueArn) }, lambdaContext(30_000));
    expect(batchItemFailures).toEqual([]);
  }
  // Standard upserts need no Stripe call; the Fullstory key came from the one GetParameters.
  expect({ calls: ssm.calls - before.calls, batch: ssm.batchCalls - before.batch }).toEqual({ calls: 1, batch: 1 });
});
