import { describe, expect, it } from "vitest";
import { formatReport, runSoak, type SoakMode, type SoakReport } from "../soak/core";

/**
 * The accounting soak, shortened for `npm test` (`npm run soak` runs it with 5 000 events): 1 000
 * signed webhooks across 200 uids through ingest, the queue and deliver, in the deployed shape
 * (fauxqs FIFO, deliver Lambda containers) and in local mode (SQLite store, delivery loop), both
 * at once, while Fullstory and SSM misbehave at random (answers after 2–3 s among them) and some
 * bodies come near the size limit, with lifecycle events on. The check refuses any event
 * dead-lettered twice, and any lifecycle event missing or sent twice.
 */
const EVENTS = 1_000;
const UIDS = 200;
const SEED = 20_260_101;

function expectBalanced(r: SoakReport) {
  process.stdout.write(`${formatReport(r)}\n`);
  expect(r.problems).toEqual([]);
  const a = r.accounting;
  expect(a.accepted).toBe(EVENTS);
  expect(a.delivered + a.deadLettered).toBe(a.accepted);
  // The planned dead letters, and nothing else: no event ran out of retries.
  expect(a.deadLetterReasons).toEqual({ uid_unresolved: Math.round(EVENTS * 0.02), rejected: Math.round(EVENTS * 0.01) });
  expect(r.uids).toBe(UIDS);
  // The run met every kind of trouble it claims to survive.
  for (const [kind, n] of Object.entries(r.faults)) expect(n, kind).toBeGreaterThan(0);
  expect(r.ssm.throttled).toBeGreaterThan(0);
  expect(r.nearLimitBodies).toBeGreaterThan(0);
  expect(a.retriedEvents).toBeGreaterThan(0);
  // Lifecycle events are on: each Clerk and WorkOS uid's signup gives one, sent once (checked in problems).
  expect(a.lifecycleExpected).toBeGreaterThan(0);
  expect(a.lifecycleSent).toBe(a.lifecycleExpected);
}

describe("accounting soak", () => {
  it(`accounts for every one of ${EVENTS} events across ${UIDS} uids, SQS FIFO and local mode, under random Fullstory and SSM faults`, async () => {
    const modes: SoakMode[] = ["sqs", "local"];
    const reports = await Promise.all(modes.map((mode) => runSoak({ mode, events: EVENTS, uids: UIDS, seed: SEED, deadlineMs: 240_000 })));
    for (const report of reports) expectBalanced(report);
  }, 300_000);
});
