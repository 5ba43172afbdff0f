import type { Config } from "./config";
import { BridgeError, ErrorCode, isBridgeError } from "./errors";
import { DeadLetterReason, type QueueMessage } from "./message";
import { readQueueMessage } from "./message-build";
import type { ParameterStore } from "./parameters";
import type { Refresher } from "./refresh";
import { stateKey, STRIPE_API_KEY_SUBJECT, type StateSnapshot } from "./state/port";
import { sentEventId } from "./lifecycle";
import { mergePatches, type UserPatch } from "./upsert";
import { deadLetter, redriveWaiting } from "./delivery/park";
import { learn, prepare, type BatchState, type Ready } from "./delivery/prepare";
import { sendLifecycleEvents } from "./delivery/events";
import { batchKey, sendUpsert, type BatchKey } from "./delivery/send";
import { logMessage, type DeliverDeps, type InboundMessage, type Outcome } from "./delivery/types";

export type { DeliverDeps, InboundMessage } from "./delivery/types";
export { MIN_ATTEMPT_MS, RETRY_AFTER_FLOOR_MS } from "./delivery/send";

// A whole SQS batch (at most 10 messages) goes out in one round.
const DEFAULT_CONCURRENCY = 10;

/** What a batch came to: the ids to hand back to the queue, and which of those were never attempted. */
export interface BatchResult {
  failedIds: string[];
  /** A subset of `failedIds`: local mode releases these without counting a failed delivery. */
  deferredIds: string[];
}

/**
 * Where the Fullstory key comes from: inline (`FULLSTORY_API_KEY`, local use) or the SSM parameter
 * named by `FULLSTORY_API_KEY_PARAMETER` through the cached parameter store. Without either the
 * returned getter throws `config_invalid`.
 */
export function apiKeyGetter(config: Pick<Config, "fullstory">, parameters: ParameterStore): DeliverDeps["getApiKey"] {
  const { apiKey, apiKeyParameter } = config.fullstory;
  if (apiKey) return async () => apiKey;
  if (apiKeyParameter) return (forceRefresh) => parameters.get(apiKeyParameter, { forceRefresh });
  return async () => {
    throw new BridgeError(ErrorCode.ConfigInvalid, "Set FULLSTORY_API_KEY_PARAMETER (or FULLSTORY_API_KEY) to deliver.");
  };
}

/**
 * Puts back on the queue the thin events that waited for Stripe API mode, once a container has it:
 * called once when a deliver container (or `npm start`) starts with a Stripe key.
 */
export async function releaseWaitingForStripeKey(deps: DeliverDeps): Promise<number> {
  if (!deps.refreshers?.stripe || !deps.state) return 0;
  return redriveWaiting(deps, "stripe", STRIPE_API_KEY_SUBJECT, undefined);
}

interface Decoded {
  m: InboundMessage;
  message: QueueMessage;
}

/**
 * Delivers one batch and returns the ids to hand back to the queue (SQS partial batch response).
 * Each message ends delivered, skipped as stale, dead-lettered (or waiting for its uid) with its
 * reason, or failed (retryable: the queue redelivers it, and SQS's redrive policy parks it after
 * maxReceiveCount). FIFO: groups run concurrently, a group's messages strictly in order, and after
 * a failure the group's later messages fail unsent, as in Powertools' SqsFifoPartialProcessor.
 * Consecutive messages of one user in a group go to Fullstory as one upsert: Fullstory's merge of
 * them one by one would end in the same user.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/batch/#fifo-queues
 */
export async function deliverBatch(messages: InboundMessage[], deps: DeliverDeps): Promise<BatchResult> {
  const failed = new Set<string>();
  const deferred = new Set<string>();
  const decoded: Decoded[] = [];
  for (const m of messages) {
    const message = readQueueMessage(m.body, deps.config);
    if (message) decoded.push({ m, message });
    else if ((await deadLetter(deps, m, undefined, { reason: DeadLetterReason.InvalidMessage, attempts: 0 })) === "failed") failed.add(m.id);
  }

  let batch: BatchState;
  try {
    batch = await batchState(decoded, deps);
  } catch (err) {
    // Without the directory and the watermarks nothing can be delivered safely: all back to the queue.
    deps.logger.warn("state store unavailable", { error: isBridgeError(err) ? err.code : "unexpected", messages: decoded.length });
    for (const { m } of decoded) failed.add(m.id);
    return result(messages, failed, deferred);
  }

  await learnFirst(decoded, batch, deps);

  const groups = new Map<string, Decoded[]>();
  for (const d of decoded) groups.set(d.m.groupId, [...(groups.get(d.m.groupId) ?? []), d]);
  const key = batchKey(deps.getApiKey);
  const runGroup = async (group: Decoded[]) => {
    const outcomes = await deliverGroup(group, batch, key, deps);
    for (const [i, d] of group.entries()) {
      const outcome = outcomes[i];
      if (outcome === "failed") failed.add(d.m.id);
      if (outcome === "deferred") {
        failed.add(d.m.id);
        deferred.add(d.m.id);
      }
    }
  };
  const queue = [...groups.values()];
  const workers = Array.from({ length: Math.min(deps.concurrency ?? DEFAULT_CONCURRENCY, queue.length) }, async () => {
    for (let group = queue.shift(); group; group = queue.shift()) await runGroup(group);
  });
  await Promise.all(workers);
  await Promise.all(batch.releasing);
  return result(messages, failed, deferred);
}

function result(messages: InboundMessage[], failed: Set<string>, deferred: Set<string>): BatchResult {
  const ids = (set: Set<string>) => messages.filter((m) => set.has(m.id)).map((m) => m.id);
  return { failedIds: ids(failed), deferredIds: ids(deferred) };
}

/**
 * What the batch teaches the directory is learned before anything is delivered: a uid that changed
 * applies to every event of the batch resolved through the account, whichever group it is in. Each
 * account's uids are learned in queue order (the last one named wins), different accounts at once:
 * each is a round trip to the state store, and a batch of new customers would otherwise wait on
 * ten of them one after the other.
 */
async function learnFirst(decoded: Decoded[], batch: BatchState, deps: DeliverDeps): Promise<void> {
  if (!deps.state) return;
  const bySubject = new Map<string, QueueMessage[]>();
  for (const { message: q } of decoded) {
    if (q.uid === null || q.subject === undefined) continue;
    const key = stateKey(q.source, q.subject);
    bySubject.set(key, [...(bySubject.get(key) ?? []), q]);
  }
  await Promise.all(
    [...bySubject.values()].map(async (messages) => {
      for (const q of messages) {
        try {
          await learn(deps, q.source, q.subject as string, q.uid as string, batch);
        } catch (err) {
          deps.logger.warn("identity not learned", { source: q.source, error: isBridgeError(err) ? err.code : "unexpected" });
        }
      }
    }),
  );
}

/** The batch's view of the state store: every uid and watermark it may need, in one read. */
async function batchState(decoded: Decoded[], deps: DeliverDeps): Promise<BatchState> {
  const refreshers = new Map<string, Refresher | undefined>();
  const refresher = (source: string) => {
    if (!refreshers.has(source)) refreshers.set(source, deps.refreshers?.[source]?.());
    return refreshers.get(source);
  };
  const empty: StateSnapshot = { uids: new Map(), watermarks: new Map(), sent: new Set() };
  const fresh = { pending: new Map(), refresher, releasing: [] };
  if (!deps.state || decoded.length === 0) return { snapshot: empty, checkedSent: new Set(), ...fresh };
  const subjects = decoded.flatMap(({ message: q }) => (q.subject ? [{ source: q.source, subject: q.subject }] : []));
  const orders = decoded.flatMap(({ message: q }) => (q.order ? [{ source: q.source, key: q.order.key }] : []));
  // The events of messages that name their uid; the others' are read once the uid is resolved.
  const sent = decoded.flatMap(({ message: q }) => (q.uid === null ? [] : (q.events ?? []).map((e) => sentEventId(q.source, q.event_id, q.uid as string, e.name))));
  // A batch that names no account, order or event (the team's own upserts) has nothing to read.
  if (subjects.length + orders.length + sent.length === 0) return { snapshot: empty, checkedSent: new Set(), ...fresh };
  const snapshot = await deps.state.read({ subjects, orders, sent }, { timeoutMs: deps.remainingMs() });
  return { snapshot, checkedSent: new Set(sent), ...fresh };
}

/**
 * One FIFO group, in order: each message prepared (see `prepare`), consecutive ready messages of
 * one uid sent as one upsert, watermarks raised once Fullstory has them, then each message's
 * lifecycle events. After a failure the rest of the group is deferred unsent.
 */
async function deliverGroup(group: Decoded[], batch: BatchState, key: BatchKey, deps: DeliverDeps): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let run: Entry[] = [];
  const flush = async (): Promise<boolean> => {
    if (run.length === 0) return true;
    const sent = await sendRun(run, key, batch, deps);
    for (const [i, r] of run.entries()) outcomes[r.index] = sent[i] as Outcome;
    run = [];
    return sent.every((o) => o === "delivered" || o === "stale" || o === "dead_lettered");
  };
  for (const [index, d] of group.entries()) {
    const prepared = await prepare(d.m, d.message, batch, deps);
    if (typeof prepared === "string") {
      // The run before this message goes first: FIFO order is kept among what is written.
      if (!(await flush())) return deferRest(group, index, outcomes, deps);
      outcomes[index] = prepared;
      if (prepared === "failed" || prepared === "deferred") return deferRest(group, index + 1, outcomes, deps);
      continue;
    }
    if (run.length > 0 && run[0]?.ready.uid !== prepared.uid && !(await flush())) return deferRest(group, index, outcomes, deps);
    run.push({ index, d, ready: prepared });
  }
  if (!(await flush())) {
    const firstUnsent = outcomes.findIndex((o) => o === undefined);
    return deferRest(group, firstUnsent === -1 ? group.length : firstUnsent, outcomes, deps);
  }
  return outcomes;
}

/** Marks the group's messages from `from` on as deferred (unsent, behind a failure), logging each. */
function deferRest(group: Decoded[], from: number, outcomes: Outcome[], deps: DeliverDeps): Outcome[] {
  const blocker = group.find((_, i) => outcomes[i] === "failed" || outcomes[i] === "deferred")?.m.id;
  for (let i = from; i < group.length; i++) {
    if (outcomes[i] !== undefined) continue;
    const d = group[i] as Decoded;
    outcomes[i] = "deferred";
    logMessage(deps, d.m, { outcome: "deferred", message: d.message, reason: "earlier_in_group_failed", ...(blocker ? { blockedBy: blocker } : {}) });
  }
  return outcomes;
}

/** A ready message of a run, with its place in its group. */
interface Entry {
  index: number;
  d: Decoded;
  ready: Ready;
}

/** How a message's upsert went: written (its events may follow), or how the message ended. */
type Written = { kind: "written"; attempts: number; fullstoryId: string; merged?: number } | { kind: "ended"; outcome: Outcome };

const ends = (o: Outcome) => o === "failed" || o === "deferred";

/**
 * Sends a run of ready messages of one uid: the upsert of those that write (their patches merged
 * in order), then each message's lifecycle events, in order, and says how each ended. A message
 * behind one that failed is deferred, as in its group.
 */
async function sendRun(run: Entry[], key: BatchKey, batch: BatchState, deps: DeliverDeps): Promise<Outcome[]> {
  const writing = run.filter((r) => r.ready.patch !== null);
  const written = new Map<Entry, Written>();
  if (writing.length > 0) (await writeUpsert(writing, key, deps)).forEach((w, i) => written.set(writing[i] as Entry, w));
  const outcomes: Outcome[] = [];
  let blocker: string | undefined;
  for (const r of run) {
    const w = written.get(r);
    const { m, message } = r.d;
    if (w?.kind === "ended") {
      outcomes.push(w.outcome);
      if (ends(w.outcome)) blocker ??= m.id;
      continue;
    }
    if (blocker) {
      logMessage(deps, m, { outcome: "deferred", message, reason: "earlier_in_group_failed", blockedBy: blocker });
      outcomes.push("deferred");
      continue;
    }
    const events = await sendLifecycleEvents(m, message, r.ready, key, batch, deps);
    if (events.kind === "ended") {
      outcomes.push(events.outcome);
      if (ends(events.outcome)) blocker = m.id;
      continue;
    }
    const count = r.ready.events.length > 0 ? events.count : undefined;
    if (w) {
      logMessage(deps, m, { outcome: "delivered", message, attempts: w.attempts, fullstoryId: w.fullstoryId, merged: w.merged, events: count });
      outcomes.push("delivered");
    } else {
      // Older than what its key last wrote: nothing written, its events sent all the same.
      logMessage(deps, m, { outcome: "stale", message, reason: "older_than_written", events: count });
      outcomes.push("stale");
    }
  }
  return outcomes;
}

/**
 * Writes a run's patches as one upsert. A merged upsert Fullstory refuses for good is sent again
 * message by message, so that only the one at fault is parked.
 */
async function writeUpsert(run: Entry[], key: BatchKey, deps: DeliverDeps): Promise<Written[]> {
  const last = run.at(-1) as Entry;
  const upsert = { uid: last.ready.uid, ...mergePatches(run.map((r) => r.ready.patch as UserPatch)) };
  const sent = await sendUpsert(upsert, last.d.message.source, last.d.message.event_id, key, deps);
  if (sent.kind === "rejected" && run.length > 1) {
    const results: Written[] = [];
    for (const r of run) {
      const [one] = (await writeUpsert([r], key, deps)) as [Written];
      results.push(one);
      if (one.kind === "ended" && ends(one.outcome)) break;
    }
    for (const r of run.slice(results.length)) {
      logMessage(deps, r.d.m, { outcome: "deferred", message: r.d.message, reason: "earlier_in_group_failed" });
      results.push({ kind: "ended", outcome: "deferred" });
    }
    return results;
  }
  const merged = run.length > 1 ? run.length : undefined;
  const ended = (outcome: Outcome): Written => ({ kind: "ended", outcome });
  switch (sent.kind) {
    case "ok":
      await raiseWatermarks(run, deps);
      return run.map(() => ({ kind: "written", attempts: sent.attempts, fullstoryId: sent.fullstoryId, ...(merged ? { merged } : {}) }));
    case "rejected": {
      const { status, code, message, attempts } = sent;
      return [ended(await deadLetter(deps, last.d.m, last.d.message, { reason: DeadLetterReason.Rejected, status, code, attempts, ...(message === undefined ? {} : { message }) }))];
    }
    case "region_mismatch":
      return Promise.all(run.map(async ({ d }) => ended(await deadLetter(deps, d.m, d.message, { reason: DeadLetterReason.RegionMismatch, message: sent.message, attempts: sent.attempts }))));
    case "deferred":
      for (const { d } of run) logMessage(deps, d.m, { outcome: "deferred", message: d.message, error: "no_time_left" });
      return run.map(() => ended("deferred"));
    case "failed":
      for (const { d } of run) logMessage(deps, d.m, { outcome: "failed", message: d.message, attempts: sent.attempts, status: sent.status, error: sent.error, merged });
      return run.map(() => ended("failed"));
  }
}

/**
 * Raises each written key's watermark. Fullstory has the upsert already: a watermark that cannot be
 * saved only lets a later, older event through, so it is logged, not retried.
 */
async function raiseWatermarks(run: Entry[], deps: DeliverDeps): Promise<void> {
  if (!deps.state) return;
  const highest = new Map<string, { source: string; key: string; at: number }>();
  for (const { d, ready } of run) {
    if (!ready.order) continue;
    const k = stateKey(d.message.source, ready.order.key);
    const seen = highest.get(k);
    if (!seen || seen.at < ready.order.at) highest.set(k, { source: d.message.source, key: ready.order.key, at: ready.order.at });
  }
  const state = deps.state;
  await Promise.all(
    [...highest.values()].map(async ({ source, key, at }) => {
      try {
        await state.advance(source, key, at, { timeoutMs: Math.max(deps.remainingMs(), 1_000) });
      } catch (err) {
        deps.logger.warn("watermark not saved", { source, error: isBridgeError(err) ? err.code : "unexpected" });
      }
    }),
  );
}
