import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBridgeError } from "../../functions/errors";
import { createDynamoStateStore } from "../../functions/state/dynamo";
import { stateKey, type StateStore, type WaitingLetter } from "../../functions/state/port";
import { openQueueStore, openLocalDatabase } from "../../local/queue-store";
import { openStateStore } from "../../local/state-store";
import { queueEntry } from "../../functions/message";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { queueMessage } from "../support/deliver-messages";

/**
 * The state store's contract, held by both adapters: DynamoDB (through the real client, against
 * dynalite's DynamoDB protocol with its conditional writes) and local mode's SQLite file.
 */

let dynamo: LoopbackDynamo;
let dir: string;
let tables = 0;
beforeAll(async () => {
  dynamo = await startDynamo();
  dir = mkdtempSync(path.join(tmpdir(), "bridge-state-"));
});
afterAll(async () => {
  await dynamo.stop();
  rmSync(dir, { recursive: true, force: true });
});

const adapters: [string, () => Promise<StateStore>][] = [
  ["DynamoDB", async () => createDynamoStateStore({ tableName: await dynamo.createStateTable(`contract-${++tables}`), client: dynamo.client })],
  ["SQLite", async () => openStateStore({ dir: mkdtempSync(path.join(dir, "s-")) })],
];

const failure = { reason: "uid_unresolved" as const, attempts: 0, first_failed_at: "2026-01-01T00:00:00.000Z" };
const letter = (subject: string, n: number, body = `{"n":${n}}`): WaitingLetter => ({ source: "stripe", subject, body, groupId: `g${n}`, deduplicationId: `d${n}`, failure });

describe.each(adapters)("state store contract (%s)", (_, open) => {
  it("learns a subject's uid, says when that is news, and names the uid a change replaced", async () => {
    const state = await open();
    expect(await state.learn("stripe", "cus_1", "u1")).toEqual({ changed: true });
    expect(await state.learn("stripe", "cus_1", "u1")).toEqual({ changed: false });
    expect(await state.learn("stripe", "cus_1", "u2")).toEqual({ changed: true, previous: "u1" });
    // Another source's ids are another namespace.
    expect(await state.learn("paddle", "cus_1", "p1")).toEqual({ changed: true });
    const { uids } = await state.read({ subjects: [{ source: "stripe", subject: "cus_1" }, { source: "paddle", subject: "cus_1" }, { source: "stripe", subject: "cus_none" }], orders: [] });
    expect(uids).toEqual(new Map([[stateKey("stripe", "cus_1"), "u2"], [stateKey("paddle", "cus_1"), "p1"]]));
  });

  it("raises a watermark, never lowers it, and reads many keys at once", async () => {
    const state = await open();
    await state.advance("stripe", "subscription:cus_1", 200);
    await state.advance("stripe", "subscription:cus_1", 100);
    await state.advance("stripe", "subscription:cus_1", 200);
    await state.advance("stripe", "subscription:cus_1", 250.5);
    const orders = Array.from({ length: 150 }, (_, i) => ({ source: "stripe", key: `payment:cus_${i}` }));
    for (const o of orders.slice(0, 120)) await state.advance(o.source, o.key, 7);
    const { watermarks } = await state.read({ subjects: [], orders: [{ source: "stripe", key: "subscription:cus_1" }, ...orders] });
    expect(watermarks.get(stateKey("stripe", "subscription:cus_1"))).toBe(250.5);
    expect(watermarks.size).toBe(121);
  });

  it("keeps waiting letters by subject, oldest first, until they are taken out", async () => {
    const state = await open();
    await state.park(letter("cus_w", 1));
    await state.park(letter("cus_other", 2));
    await state.park(letter("cus_w", 3));
    const waiting = await state.waiting("stripe", "cus_w");
    expect(waiting.map((l) => l.body)).toEqual(['{"n":1}', '{"n":3}']);
    expect(waiting[0]).toMatchObject({ source: "stripe", subject: "cus_w", groupId: "g1", deduplicationId: "d1", failure });
    await state.unpark(waiting[0] as (typeof waiting)[number]);
    expect((await state.waiting("stripe", "cus_w")).map((l) => l.body)).toEqual(['{"n":3}']);
    expect((await state.listParked()).map((l) => l.body).sort()).toEqual(['{"n":2}', '{"n":3}']);
  });

  it("keeps a large letter whole (compressed where the store needs it)", async () => {
    const state = await open();
    const body = JSON.stringify({ raw: 'a"b'.repeat(150_000) });
    await state.park(letter("cus_big", 1, body));
    expect((await state.waiting("stripe", "cus_big"))[0]?.body).toBe(body);
  });
});

describe("DynamoDB state store limits", () => {
  it("refuses a letter that cannot fit one item even compressed, saying so, so deliver parks it on the dead-letter queue", async () => {
    const state = createDynamoStateStore({ tableName: await dynamo.createStateTable("limits-state"), client: dynamo.client });
    const incompressible = randomBytes(400_000).toString("base64");
    const err = await state.park(letter("cus_huge", 1, incompressible)).catch((e: unknown) => e);
    expect(isBridgeError(err, "state_item_too_large")).toBe(true);
  });
});

describe("local state store", () => {
  it("parks a received message and takes it off the queue in one commit, once however often", async () => {
    const local = mkdtempSync(path.join(dir, "l-"));
    const db = openLocalDatabase(local);
    const queue = openQueueStore({ dir: local, db });
    const state = openStateStore({ dir: local, db });
    await queue.send(queueEntry(queueMessage(null, { subject: "cus_l" })));
    const [m] = queue.receive();
    const parked = { ...letter("cus_l", 1, m?.body), messageId: m?.id };
    await state.park(parked);
    await state.park(parked);
    expect(queue.depth()).toBe(0);
    expect(await state.waiting("stripe", "cus_l")).toHaveLength(1);
    // Waiting letters are dead letters of the local store: `dlq list` shows them.
    expect(queue.listDeadLetters()).toHaveLength(1);
    db.close();
  });
});
