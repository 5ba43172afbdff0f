import { isBridgeError } from "../errors";
import { sentEventId } from "../lifecycle";
import { DeadLetterReason, type QueueMessage } from "../message";
import { METRIC } from "../metrics";
import { deadLetter } from "./park";
import type { BatchState, Ready } from "./prepare";
import { sendEvent, type BatchKey } from "./send";
import { logMessage, type DeliverDeps, type InboundMessage, type Outcome } from "./types";

/** What sending a message's lifecycle events came to: all sent (or sent before), or how the message ended. */
export type EventsSent = { kind: "sent"; count: number } | { kind: "ended"; outcome: Outcome };

/**
 * Sends a ready message's lifecycle events after its upsert, one by one in order, each with its own
 * Idempotency-Key. An event Fullstory accepted before (a retry, a redrive) is skipped by its "sent"
 * record in the state store; one it refuses for good parks the message as `rejected`, naming the
 * event, so a redrive sends that one again and not the others. A retryable failure ends the
 * message `failed`: the queue brings it back, and the records and keys make the repeats harmless.
 */
export async function sendLifecycleEvents(
  m: InboundMessage,
  message: QueueMessage,
  ready: Ready,
  key: BatchKey,
  batch: BatchState,
  deps: DeliverDeps,
): Promise<EventsSent> {
  if (ready.events.length === 0) return { kind: "sent", count: 0 };
  const ids = ready.events.map((e) => sentEventId(message.source, message.event_id, ready.uid, e.name));
  const sent = await alreadySent(ids, batch, deps);
  if (sent === undefined) {
    logMessage(deps, m, { outcome: "failed", message, error: "state_unavailable" });
    return { kind: "ended", outcome: "failed" };
  }
  let count = 0;
  for (const [i, event] of ready.events.entries()) {
    const id = ids[i] as string;
    if (sent.has(id)) continue;
    const result = await sendEvent(event, ready.uid, message.source, message.event_id, key, deps);
    switch (result.kind) {
      case "ok":
        count++;
        deps.metrics?.count(message.source, METRIC.lifecycleEventsSent);
        sent.add(id);
        await remember(id, deps);
        continue;
      case "rejected": {
        const { status, code, attempts } = result;
        const text = `event "${event.name}": ${result.message ?? code}`;
        return { kind: "ended", outcome: await deadLetter(deps, m, message, { reason: DeadLetterReason.Rejected, status, code, attempts, message: text }) };
      }
      case "region_mismatch":
        return { kind: "ended", outcome: await deadLetter(deps, m, message, { reason: DeadLetterReason.RegionMismatch, message: result.message, attempts: result.attempts }) };
      case "deferred":
        logMessage(deps, m, { outcome: "deferred", message, error: "no_time_left", events: count });
        return { kind: "ended", outcome: "deferred" };
      case "failed":
        logMessage(deps, m, { outcome: "failed", message, attempts: result.attempts, status: result.status, error: result.error, events: count });
        return { kind: "ended", outcome: "failed" };
    }
  }
  return { kind: "sent", count };
}

/**
 * The ids among `ids` Fullstory accepted before, from the batch's snapshot, reading those it has not
 * asked for yet (a message whose uid was resolved after the batch's read). Undefined when the state
 * store cannot say: the message is retried rather than risk sending twice.
 */
async function alreadySent(ids: string[], batch: BatchState, deps: DeliverDeps): Promise<Set<string> | undefined> {
  const unchecked = ids.filter((id) => !batch.checkedSent.has(id));
  if (unchecked.length > 0 && deps.state) {
    try {
      const { sent } = await deps.state.read({ subjects: [], orders: [], sent: unchecked }, { timeoutMs: deps.remainingMs() });
      for (const id of sent) batch.snapshot.sent.add(id);
    } catch {
      return undefined;
    }
  }
  for (const id of unchecked) batch.checkedSent.add(id);
  return batch.snapshot.sent;
}

/** Records an accepted event. Fullstory has it already: a record that cannot be saved is logged, not retried (the Idempotency-Key covers 24 hours). */
async function remember(id: string, deps: DeliverDeps): Promise<void> {
  if (!deps.state) return;
  try {
    await deps.state.markSent([id], { timeoutMs: Math.max(deps.remainingMs(), 1_000) });
  } catch (err) {
    deps.logger.warn("sent event not recorded", { error: isBridgeError(err) ? err.code : "unexpected" });
  }
}
