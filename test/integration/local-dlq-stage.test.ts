import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { messageGroupId, type QueueMessage, type QueueMessageV1 } from "../../functions/message";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createDynamoStateStore } from "../../functions/state/dynamo";
import { sqsBackend } from "../../tools/dlq-sqs";
import { combinedBackend, waitingBackend } from "../../tools/dlq-waiting";
import { startDynamo } from "../support/dynamo";
import { startSqs, type FifoQueue, type LoopbackSqs } from "../support/fauxqs";
import { readQueue } from "../support/sqs-lambda";
import { customerObject, stripeEvent } from "../support/stripe-events";

/** The `dlq` tool's deployed-stage verbs, through the real SQS SDK against fauxqs on loopback. */

let sqs: LoopbackSqs;
beforeAll(async () => {
  sqs = await startSqs();
});
afterAll(async () => {
  await sqs.stop();
});

/** A dead letter as the first release parked it (version 1): the tool still reads and redrives these. */
function message(eventId: string, metadata: Record<string, string>, uid: string | null): QueueMessageV1 {
  const raw = JSON.stringify(stripeEvent("customer.updated", customerObject({ metadata }), { id: eventId }));
  return {
    v: 1,
    source: "stripe",
    event_id: eventId,
    event_type: "customer.updated",
    occurred_at: "2024-02-01T00:00:00.000Z",
    received_at: "2024-02-01T00:00:01.000Z",
    upsert: uid === null ? null : { uid, properties: { stripe_customer_id: "cus_Test123" } },
    raw,
  };
}

async function park(queues: FifoQueue) {
  const port = createSqsQueue({ ...queues, client: sqs.client });
  const rejected = message("evt_rejected", { fullstory_uid: "user_r" }, "user_r");
  const unresolved = message("evt_unresolved", { crm_user: "user_u" }, null);
  await port.deadLetter({
    body: JSON.stringify(rejected),
    groupId: "user_r",
    deduplicationId: "x",
    failure: { reason: "rejected", status: 400, code: "invalid_argument", message: "bad", attempts: 1, first_failed_at: "2024-02-01T00:00:02.000Z" },
  });
  await port.deadLetter({
    body: JSON.stringify(unresolved),
    groupId: messageGroupId(null, "stripe", "evt_unresolved"),
    deduplicationId: "y",
    failure: { reason: "uid_unresolved", attempts: 0, first_failed_at: "2024-02-01T00:00:01.000Z" },
  });
  // What SQS's own redrive policy moves carries no failure attributes.
  await sqs.client.send(
    new SendMessageCommand({
      QueueUrl: queues.deadLetterQueueUrl,
      MessageBody: JSON.stringify(message("evt_exhausted", { fullstory_uid: "user_x" }, "user_x")),
      MessageGroupId: "user_x",
      MessageDeduplicationId: "z",
    }),
  );
}

describe("dlq tool on a deployed stage's SQS queues", () => {
  it("lists every dead letter with its failure, and listing twice loses nothing", async () => {
    const queues = await sqs.createFifoQueue("dlq-list");
    await park(queues);
    const backend = sqsBackend(queues, sqs.client);
    const first = await backend.list();
    const second = await backend.list();
    const byEvent = (letters: typeof first.letters) => Object.fromEntries(letters.map((l) => [l.event_id, l]));
    expect(byEvent(first.letters)).toMatchObject({
      evt_rejected: { source: "stripe", uid: "user_r", reason: "rejected", status: 400, code: "invalid_argument", attempts: 1 },
      evt_unresolved: { uid: null, reason: "uid_unresolved", attempts: 0 },
      evt_exhausted: { uid: "user_x", reason: "retries_exhausted" },
    });
    // No failure attributes: the attempts are SQS's approximate receive count.
    expect(byEvent(first.letters).evt_exhausted?.attempts).toBeGreaterThan(0);
    expect(second.letters.map((l) => l.event_id).sort()).toEqual(first.letters.map((l) => l.event_id).sort());
  });

  it("redrives with --renormalise onto the main queue under the resolved uid's group, and deletes only what it moved", async () => {
    const queues = await sqs.createFifoQueue("dlq-redrive");
    await park(queues);
    const backend = sqsBackend(queues, sqs.client);
    const config = loadConfig({ STRIPE_UID_METADATA_KEYS: "crm_user" });
    const outcomes = await backend.redrive({ renormalise: true, eventId: "evt_unresolved", config });
    expect(outcomes).toEqual([{ id: expect.any(String), event_id: "evt_unresolved", redriven: true }]);

    const { Messages = [] } = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["MessageGroupId"] }),
    );
    expect(Messages).toHaveLength(1);
    const moved = JSON.parse(Messages[0]?.Body ?? "") as QueueMessage;
    expect(Messages[0]?.Attributes?.MessageGroupId).toBe("user_u");
    expect(moved.uid).toBe("user_u");
    expect(moved.event_id).toBe("evt_unresolved");
    expect((await backend.list()).letters.map((l) => l.event_id).sort()).toEqual(["evt_exhausted", "evt_rejected"]);
  });

  it("redrives --event a letter behind others of its user, keeps each user's letters in order, and leaves nothing hidden", async () => {
    const queues = await sqs.createFifoQueue("dlq-behind");
    const port = createSqsQueue({ ...queues, client: sqs.client });
    const failure = { reason: "rejected" as const, status: 400, code: "invalid_argument", attempts: 1, first_failed_at: "2024-02-01T00:00:02.000Z" };
    const letters: Record<string, string[]> = { user_r: ["evt_r1", "evt_r2", "evt_target", "evt_r4"], user_s: ["evt_s1", "evt_s2"] };
    for (const [uid, events] of Object.entries(letters)) {
      for (const id of events) {
        await port.deadLetter({ body: JSON.stringify(message(id, { fullstory_uid: uid }, uid)), groupId: uid, deduplicationId: id, failure });
      }
    }
    const backend = sqsBackend(queues, sqs.client);
    const outcomes = await backend.redrive({ renormalise: false, eventId: "evt_target", config: loadConfig({}) });
    expect(outcomes).toEqual([{ id: expect.any(String), event_id: "evt_target", redriven: true }]);
    const moved = await readQueue(sqs.client, queues.queueUrl);
    expect(moved.map((m) => (JSON.parse(m.body) as QueueMessage).event_id)).toEqual(["evt_target"]);
    // Right away (no hold to wait out), each user's remaining letters in their original order, failures intact.
    const left = await readQueue(sqs.client, queues.deadLetterQueueUrl);
    const order = (uid: string) => left.map((m) => JSON.parse(m.body) as QueueMessage).filter((m) => (m as unknown as QueueMessageV1).upsert?.uid === uid).map((m) => m.event_id);
    expect(order("user_r")).toEqual(["evt_r1", "evt_r2", "evt_r4"]);
    expect(order("user_s")).toEqual(["evt_s1", "evt_s2"]);
    for (const m of left) expect(m.attributes).toMatchObject({ reason: "rejected", status: "400", code: "invalid_argument", attempts: "1" });
  });

  it("says so when no letter of the event is on the queue, after looking at every one", async () => {
    const queues = await sqs.createFifoQueue("dlq-missing");
    await park(queues);
    const backend = sqsBackend(queues, sqs.client);
    expect(await backend.redrive({ renormalise: false, eventId: "evt_nowhere", config: loadConfig({}) })).toEqual([]);
    expect((await backend.list()).letters.map((l) => l.event_id).sort()).toEqual(["evt_exhausted", "evt_rejected", "evt_unresolved"]);
  });

  it("redrives every letter without --renormalise, an unresolved one into its customer's group for deliver to look up, and purges", async () => {
    const queues = await sqs.createFifoQueue("dlq-keep");
    await park(queues);
    const backend = sqsBackend(queues, sqs.client);
    const outcomes = await backend.redrive({ renormalise: false, config: loadConfig({}) });
    expect(outcomes.filter((o) => o.redriven).map((o) => o.event_id).sort()).toEqual(["evt_exhausted", "evt_rejected", "evt_unresolved"]);
    const moved = await readQueue(sqs.client, queues.queueUrl);
    expect(moved).toHaveLength(3);
    expect((await backend.list()).letters).toEqual([]);

    const other = await sqs.createFifoQueue("dlq-purge");
    await park(other);
    const otherBackend = sqsBackend(other, sqs.client);
    expect(await otherBackend.purge()).toBe(3);
    expect((await otherBackend.list()).letters).toEqual([]);
  });

  it("shows the letters waiting in the stage's state table beside the dead-letter queue's, and redrives them too", async () => {
    const dynamo = await startDynamo();
    try {
      const queues = await sqs.createFifoQueue("dlq-waiting");
      await park(queues);
      const state = createDynamoStateStore({ tableName: await dynamo.createStateTable("dlq-waiting-state"), client: dynamo.client });
      const waiting = message("evt_waiting", {}, null);
      await state.park({ source: "stripe", subject: "cus_Test123", body: JSON.stringify(waiting), groupId: "g", deduplicationId: "w", failure: { reason: "uid_unresolved", attempts: 0, first_failed_at: "2024-02-01T00:00:02.000Z" } });
      const backend = combinedBackend([sqsBackend(queues, sqs.client), waitingBackend(state, queues.queueUrl, sqs.client)]);
      const { letters } = await backend.list();
      expect(letters.find((l) => l.event_id === "evt_waiting")).toMatchObject({ id: expect.stringMatching(/^waiting:/), reason: "uid_unresolved" });
      expect(letters).toHaveLength(4);
      const outcomes = await backend.redrive({ renormalise: false, eventId: "evt_waiting", config: loadConfig({}) });
      expect(outcomes).toEqual([{ id: expect.stringMatching(/^waiting:/), event_id: "evt_waiting", redriven: true }]);
      expect(await state.listParked()).toEqual([]);
      expect((await readQueue(sqs.client, queues.queueUrl)).map((m) => (JSON.parse(m.body) as QueueMessage).event_id)).toEqual(["evt_waiting"]);
    } finally {
      await dynamo.stop();
    }
  });
});
