import { createHash } from "node:crypto";
import { ErrorCode, isBridgeError } from "../errors";
import { deduplicationId, queueEntry, type Failure, type QueueMessage } from "../message";
import { readQueueMessage } from "../message-build";
import type { StateCallOptions } from "../state/port";
import { logMessage, type DeliverDeps, type InboundMessage, type Outcome } from "./types";

/** Time parking may take even when the attempt budget is spent (the handler's margin covers it). */
const PARK_MIN_MS = 1_000;

const parkingTime = (deps: DeliverDeps): StateCallOptions => ({ timeoutMs: Math.max(deps.remainingMs(), PARK_MIN_MS) });

const dedupOf = (m: InboundMessage, message: QueueMessage | undefined): string =>
  message ? deduplicationId(message.source, message.event_id, message.uid) : createHash("sha256").update(m.body).digest("hex");

/**
 * Parks `m` on the dead-letter queue; if that fails the message is reported failed, never lost.
 * `m.id` goes with the letter: the SQS adapter derives the letter's deduplication id from it, so a
 * message parked twice (its batch timed out after the letter was sent) is one letter, and local
 * mode removes `m` from its queue in the same transaction.
 */
export async function deadLetter(
  deps: DeliverDeps,
  m: InboundMessage,
  message: QueueMessage | undefined,
  failure: Omit<Failure, "first_failed_at">,
): Promise<Outcome> {
  const now = deps.now?.() ?? new Date();
  try {
    const letter = { body: m.body, groupId: m.groupId, deduplicationId: dedupOf(m, message), messageId: m.id, failure: { ...failure, first_failed_at: now.toISOString() } };
    await deps.queue.deadLetter(letter, parkingTime(deps));
  } catch (err) {
    logMessage(deps, m, { outcome: "failed", message, attempts: failure.attempts, reason: failure.reason, error: isBridgeError(err) ? err.code : "dead_letter_failed" });
    return "failed";
  }
  logMessage(deps, m, { outcome: "dead_lettered", message, attempts: failure.attempts, status: failure.status, reason: failure.reason, error: failure.code });
  return "dead_lettered";
}

/**
 * Parks `m` in the state store, waiting on `subject` (whose uid is not known yet, or, for `#…`
 * subjects, the setting it needs), so that learning the uid puts it back on the queue by itself.
 * A letter too large for the state store goes to the dead-letter queue instead (redriven by hand).
 * Parking and learning can cross: after parking, the uid is looked up once more, and if it has been
 * learned meanwhile the letter goes straight back.
 */
export async function parkWaiting(deps: DeliverDeps, m: InboundMessage, message: QueueMessage, subject: string, failure: Omit<Failure, "first_failed_at">): Promise<Outcome> {
  const { state } = deps;
  if (!state) return deadLetter(deps, m, message, failure);
  const now = deps.now?.() ?? new Date();
  const letter = {
    source: message.source,
    subject,
    body: m.body,
    groupId: m.groupId,
    deduplicationId: dedupOf(m, message),
    messageId: m.id,
    failure: { ...failure, first_failed_at: now.toISOString() },
  };
  try {
    await state.park(letter, parkingTime(deps));
  } catch (err) {
    if (isBridgeError(err, ErrorCode.StateItemTooLarge)) return deadLetter(deps, m, message, failure);
    logMessage(deps, m, { outcome: "failed", message, reason: failure.reason, error: isBridgeError(err) ? err.code : "park_failed" });
    return "failed";
  }
  logMessage(deps, m, { outcome: "dead_lettered", message, reason: failure.reason, error: "waiting" });
  try {
    const { uids } = await state.read({ subjects: [{ source: message.source, subject }], orders: [] }, parkingTime(deps));
    const uid = uids.values().next().value;
    if (uid !== undefined) await redriveWaiting(deps, message.source, subject, uid);
  } catch (err) {
    // The letter is parked; the next event that teaches this uid redrives it.
    deps.logger.warn("waiting letters not rechecked", { source: message.source, error: isBridgeError(err) ? err.code : "unexpected" });
  }
  return "dead_lettered";
}

/**
 * Puts the letters waiting on `subject` back on the queue, with `uid` when it is known now (each
 * then goes into that user's FIFO group), and takes them out of the state store. Send first, then
 * remove: a crash in between sends a letter twice, which its release's deduplication id and
 * Fullstory's Idempotency-Key make harmless. Resolves with how many went back.
 */
export async function redriveWaiting(deps: DeliverDeps, source: string, subject: string, uid: string | undefined): Promise<number> {
  const { state } = deps;
  if (!state) return 0;
  const letters = await state.waiting(source, subject, parkingTime(deps));
  let moved = 0;
  for (const letter of letters) {
    const message = readQueueMessage(letter.body, deps.config);
    if (!message) continue;
    const entry = queueEntry(uid === undefined ? message : { ...message, uid });
    // Not the message's own deduplication id: a letter released within five minutes of its first
    // sending would be dropped as a duplicate of itself. One per parking, so a release repeated
    // after a crash is still dropped. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
    const deduplicationId = createHash("sha256").update(`released\n${letter.id}\n${entry.deduplicationId}`).digest("hex");
    await deps.queue.send({ ...entry, deduplicationId }, parkingTime(deps));
    await state.unpark(letter, parkingTime(deps));
    moved++;
  }
  if (moved > 0) deps.logger.info("waiting letters redriven", { source, count: moved });
  return moved;
}
