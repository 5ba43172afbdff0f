import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { queueEntry, type QueueMessage } from "../../functions/message";
import { createSqsQueue } from "../../functions/queue/sqs";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { deliverContainer } from "../support/deliver-container";
import { queueMessage, upsertKey, upsertOf } from "../support/deliver-messages";
import { startSqs, type FifoQueue, type LoopbackSqs } from "../support/fauxqs";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { drainQueue, lambdaContext, readQueue, sqsRecord } from "../support/sqs-lambda";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";

const KEY = "na1.faults-key";
let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
const STATE_TABLE = "bridge-state";
let ssm: SsmFake;
let fullstory: FullstoryFake;
let n = 0;

beforeAll(async () => {
  [sqs, ssm, fullstory, dynamo] = await Promise.all([startSqs(), startSsmFake(), startFullstoryFake({ keys: [KEY] }), startDynamo()]);
  await dynamo.createStateTable(STATE_TABLE);
});
afterEach(() => {
  fullstory.faults.length = 0;
  fullstory.validKeys = new Set([KEY]);
});
afterAll(() => Promise.all([sqs.stop(), ssm.stop(), fullstory.stop(), dynamo.stop()]));

/**
 * A stage of its own (queue, key parameter, deliver container) with one message per uid queued
 * through the SQS adapter, as ingest queues them.
 */
async function stage(uids: string[], opts: { env?: Record<string, string>; maxReceiveCount?: number; ssmMaxAttempts?: number; timeoutMs?: number } = {}) {
  n++;
  const param = `/fullstory-bridge/faults-${n}/fullstory-api-key`;
  ssm.set(param, KEY);
  const queue = await sqs.createFifoQueue(`faults-${n}`, { maxReceiveCount: opts.maxReceiveCount ?? 5 });
  const container = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue, env: { FULLSTORY_API_KEY_PARAMETER: param, ...opts.env }, ssmMaxAttempts: opts.ssmMaxAttempts });
  const port = createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client });
  const messages: QueueMessage[] = uids.map((uid) => queueMessage(`${uid}-${n}`));
  for (const m of messages) await port.send(queueEntry(m));
  const drain = () =>
    drainQueue({ client: sqs.client, queueUrl: queue.queueUrl, queueArn: queue.queueArn, handler: container.handler, timeoutMs: opts.timeoutMs });
  return { param, queue, messages, container, drain, deadLetters: () => readQueue(sqs.client, queue.deadLetterQueueUrl) };
}

const uidOf = (m: QueueMessage) => m.uid as string;
const requestsFor = (m: QueueMessage) => fullstory.requests.filter((r) => r.uid === uidOf(m));

/** Delivered: Fullstory holds the message's properties, and every request for it carried its one key. */
function expectDelivered(m: QueueMessage) {
  expect(fullstory.users.get(uidOf(m))?.properties).toEqual(m.upsert?.properties);
  expect(new Set(requestsFor(m).map((r) => r.idempotencyKey))).toEqual(new Set([upsertKey(m.source, m.event_id, upsertOf(m))]));
}

async function expectOnlyDeadLetter(queue: FifoQueue, dead: { body: string; attributes: Record<string, string> }[], m: QueueMessage | string) {
  expect(dead).toHaveLength(1);
  expect(dead[0]?.body).toBe(typeof m === "string" ? m : JSON.stringify(m));
  expect(await readQueue(sqs.client, queue.queueUrl)).toEqual([]);
}

describe("deliver fault matrix (fauxqs FIFO, SSM fake, Fullstory fake)", () => {
  it("waits a 429's Retry-After within the invocation, then delivers", async () => {
    const s = await stage(["rate"]);
    fullstory.faults.push({ status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const invocations = await s.drain();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(invocations.map((i) => i.failedIds)).toEqual([[]]);
    expect(requestsFor(s.messages[0] as QueueMessage).map((r) => r.status)).toEqual([429, 200]);
    expectDelivered(s.messages[0] as QueueMessage);
  });

  it("backs off through 500, 502 and 503, then delivers in the same invocation", async () => {
    const s = await stage(["flaky"]);
    fullstory.faults.push({ status: 500 }, { status: 502 }, { status: 503 });
    const invocations = await s.drain();
    expect(invocations.map((i) => i.failedIds)).toEqual([[]]);
    expect(requestsFor(s.messages[0] as QueueMessage).map((r) => r.status)).toEqual([500, 502, 503, 200]);
    expectDelivered(s.messages[0] as QueueMessage);
  });

  it("returns the message to the queue when 503s outlast the invocation, and delivers it later", async () => {
    const s = await stage(["outage"], { timeoutMs: 7_000 });
    fullstory.faults.push(...Array.from({ length: 20 }, () => ({ status: 503 })));
    const invocations = await s.drain();
    expect(invocations[0]?.failedIds).toHaveLength(1);
    expect(invocations.at(-1)?.failedIds).toEqual([]);
    expectDelivered(s.messages[0] as QueueMessage);
    expect(await s.deadLetters()).toEqual([]);
  });

  it("retries a request that timed out", async () => {
    const s = await stage(["slow"]);
    fullstory.faults.push({ delayMs: 1_200 });
    await s.drain();
    expectDelivered(s.messages[0] as QueueMessage);
  });

  it("retries after a reset connection", async () => {
    const s = await stage(["reset"]);
    fullstory.faults.push({ reset: true });
    await s.drain();
    expect(requestsFor(s.messages[0] as QueueMessage)).toHaveLength(2);
    expectDelivered(s.messages[0] as QueueMessage);
  });

  it("dead-letters a 400 as rejected with Fullstory's status, code and message", async () => {
    const s = await stage(["bad"]);
    fullstory.faults.push({ status: 400 });
    await s.drain();
    const dead = await s.deadLetters();
    await expectOnlyDeadLetter(s.queue, dead, s.messages[0] as QueueMessage);
    expect(dead[0]?.attributes).toMatchObject({ reason: "rejected", status: "400", code: "required_field", message: "uid is required", attempts: "1" });
    expect(fullstory.users.has(uidOf(s.messages[0] as QueueMessage))).toBe(false);
  });

  it("dead-letters a 413 answered with an HTML page, leaving out the message it lacks (SQS refuses empty attributes)", async () => {
    const s = await stage(["html"]);
    fullstory.faults.push({ status: 413, html: true });
    await s.drain();
    const dead = await s.deadLetters();
    await expectOnlyDeadLetter(s.queue, dead, s.messages[0] as QueueMessage);
    expect(dead[0]?.attributes).toEqual({ reason: "rejected", status: "413", code: "http_413", attempts: "1", first_failed_at: expect.any(String) });
  });

  it("parks a message once when its batch comes back after the letter was sent (a timed-out invocation)", async () => {
    const s = await stage(["twice"]);
    fullstory.faults.push({ status: 400 }, { status: 400 });
    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: s.queue.queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
    );
    const event = { Records: Messages.map((m) => sqsRecord(m, s.queue.queueArn)) };
    // The same received message handled twice, as when Lambda times out and SQS hands the batch back.
    await s.container.handler(event, lambdaContext(30_000));
    await s.container.handler(event, lambdaContext(30_000));
    expect(fullstory.requests.filter((r) => r.uid === uidOf(s.messages[0] as QueueMessage))).toHaveLength(2);
    expect(await s.deadLetters()).toHaveLength(1);
  });

  it("picks up a key rotated in SSM after a 401, losing nothing", async () => {
    const s = await stage(["warm"]);
    await s.drain();
    expectDelivered(s.messages[0] as QueueMessage);

    // The container now holds the old key in its cache; rotate it in SSM and at Fullstory.
    const callsBefore = ssm.calls;
    const next = queueMessage(`rotated-${n}`);
    await createSqsQueue({ queueUrl: s.queue.queueUrl, deadLetterQueueUrl: s.queue.deadLetterQueueUrl, client: sqs.client }).send(queueEntry(next));
    ssm.set(s.param, "na1.faults-key-rotated");
    fullstory.validKeys = new Set(["na1.faults-key-rotated"]);
    const invocations = await s.drain();
    expect(invocations.map((i) => i.failedIds)).toEqual([[]]);
    expect(requestsFor(next).map((r) => r.status)).toEqual([401, 200]);
    expect(ssm.calls - callsBefore).toBe(1);
    expectDelivered(next);
    expect(await s.deadLetters()).toEqual([]);
  });

  it("reports failed while SSM throttles, then delivers once it answers", async () => {
    const s = await stage(["throttled"], { ssmMaxAttempts: 1 });
    ssm.throttle(2);
    const invocations = await s.drain();
    expect(invocations.map((i) => i.failedIds.length)).toEqual([1, 1, 0]);
    expect(requestsFor(s.messages[0] as QueueMessage).map((r) => r.status)).toEqual([200]);
    expectDelivered(s.messages[0] as QueueMessage);
  });

  it("leaves a message to SQS's redrive policy while the key parameter is missing, sending nothing", async () => {
    const s = await stage(["no-key"], { env: { FULLSTORY_API_KEY_PARAMETER: "/fullstory-bridge/absent/fullstory-api-key" }, maxReceiveCount: 3 });
    const invocations = await s.drain();
    expect(invocations.map((i) => i.failedIds.length)).toEqual([1, 1, 1]);
    const dead = await s.deadLetters();
    await expectOnlyDeadLetter(s.queue, dead, s.messages[0] as QueueMessage);
    // Moved by SQS itself: no reason attribute, which the dlq tool reads as retries_exhausted.
    expect(dead[0]?.attributes).toEqual({});
    expect(requestsFor(s.messages[0] as QueueMessage)).toEqual([]);
    expect(s.container.lines.map((l) => l.error)).toEqual(["parameter_not_found", "parameter_not_found", "parameter_not_found"]);
  });

  it("refuses a key for another region: dead letter region_mismatch, nothing sent", async () => {
    const s = await stage(["eu-stage"], { env: { FULLSTORY_REGION: "eu1" } });
    await s.drain();
    const dead = await s.deadLetters();
    await expectOnlyDeadLetter(s.queue, dead, s.messages[0] as QueueMessage);
    expect(dead[0]?.attributes).toMatchObject({ reason: "region_mismatch", attempts: "0" });
    expect(dead[0]?.attributes.message).toMatch(/na1.*eu1/);
    expect(requestsFor(s.messages[0] as QueueMessage)).toEqual([]);
  });

  it("dead-letters an unreadable message as invalid_message with its body verbatim", async () => {
    const s = await stage([]);
    const body = '{"v":1,"source":"stripe"';
    await sqs.client.send(new SendMessageCommand({ QueueUrl: s.queue.queueUrl, MessageBody: body, MessageGroupId: "g", MessageDeduplicationId: "d" }));
    const invocations = await s.drain();
    expect(invocations.map((i) => i.failedIds)).toEqual([[]]);
    const dead = await s.deadLetters();
    await expectOnlyDeadLetter(s.queue, dead, body);
    expect(dead[0]?.attributes).toMatchObject({ reason: "invalid_message" });
  });

  it("ends a mixed batch with each message delivered or dead-lettered once, under one key per event", async () => {
    const s = await stage(["mix-a", "mix-b", "mix-c", "mix-d", "mix-e"]);
    fullstory.faults.push({ status: 503 }, { reset: true }, { status: 400 }, { status: 429, retryAfterSeconds: 0 });
    await s.drain();
    const dead = await s.deadLetters();
    const deadBodies = dead.map((d) => d.body);
    for (const m of s.messages) {
      const delivered = fullstory.users.has(uidOf(m));
      expect(delivered !== deadBodies.includes(JSON.stringify(m))).toBe(true);
      expect(new Set(requestsFor(m).map((r) => r.idempotencyKey))).toEqual(new Set([upsertKey(m.source, m.event_id, upsertOf(m))]));
      if (delivered) expectDelivered(m);
    }
    expect(dead.map((d) => d.attributes.reason)).toEqual(["rejected"]);
  });
});
