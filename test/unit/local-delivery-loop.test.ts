import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import type { FullstoryClient, SendResult } from "../../functions/fullstory/client";
import { createLogger } from "../../functions/log";
import { queueEntry } from "../../functions/message";
import { startDeliveryLoop } from "../../local/delivery-loop";
import { STORE_DEFAULTS, openQueueStore, type QueueStore } from "../../local/queue-store";
import { queueMessage } from "../support/deliver-messages";

let dir: string;
let clock: number;
let store: QueueStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bridge-loop-"));
  clock = Date.parse("2026-01-01T00:00:00Z");
  store = openQueueStore({ dir, now: () => clock });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("local delivery loop", () => {
  it("on shutdown starts nothing new and counts no failure against what it did not try, even at the end of its retry window", async () => {
    const a = queueMessage("loop-a");
    const late = queueMessage("loop-late");
    await store.send(queueEntry(a));
    await store.send(queueEntry(late));
    // `late` failed once fifteen minutes ago: one more failure would park it.
    const received = store.receive();
    for (const m of received) (m.groupId === "loop-late" ? store.fail : store.release)(m.id);
    clock += STORE_DEFAULTS.retryWindowMs;

    let finishFirst: (r: SendResult) => void = () => {};
    const sent: string[] = [];
    const fullstory: FullstoryClient = {
      send: (req) => {
        sent.push((JSON.parse(req.body) as { uid: string }).uid);
        return new Promise((resolve) => (finishFirst = resolve));
      },
    };
    const config = loadConfig({ FULLSTORY_API_KEY: "na1.loop" });
    const loop = startDeliveryLoop({
      store,
      // One group at a time: `loop-late` waits behind `loop-a`, whose send is held until after Ctrl-C.
      deps: { config, logger: createLogger(() => {}), fullstory, getApiKey: async () => "na1.loop", concurrency: 1 },
      pollMs: 10,
      log: createLogger(() => {}),
    });
    for (let i = 0; i < 100 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sent).toEqual(["loop-a"]);
    const stopped = loop.stop();
    finishFirst({ kind: "ok", id: "1" });
    await stopped;

    expect(sent).toEqual(["loop-a"]);
    expect(store.listDeadLetters()).toEqual([]);
    // `late` is still queued, still one failure in: the next start tries it.
    const [next] = store.receive();
    expect(next?.groupId).toBe("loop-late");
    store.fail(next!.id);
    expect(store.listDeadLetters()).toMatchObject([{ failure: { reason: "retries_exhausted", attempts: 2 } }]);
  });
});
