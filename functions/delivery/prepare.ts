import { beforeDeadline } from "../deadline";
import { isBridgeError } from "../errors";
import { lifecycleEvents, type LifecycleEvent } from "../lifecycle";
import { DeadLetterReason, type QueueMessage } from "../message";
import type { Refresher } from "../refresh";
import type { EventOrder } from "../sources/types";
import { STRIPE_API_KEY_SUBJECT, stateKey, type StateSnapshot } from "../state/port";
import type { UserPatch } from "../upsert";
import { MIN_ATTEMPT_MS } from "./send";
import { deadLetter, parkWaiting, redriveWaiting } from "./park";
import { logMessage, type DeliverDeps, type InboundMessage, type Outcome } from "./types";

/** What one batch knows of the state store, read once at its start and kept up to date as it goes. */
export interface BatchState {
  snapshot: StateSnapshot;
  /** Watermarks this batch has reached (sent or about to be), above the snapshot's. */
  pending: Map<string, number>;
  /** API mode, per source, made on first use in this batch. */
  refresher(source: string): Refresher | undefined;
  /** Lifecycle event ids whose "sent" record has been read into the snapshot (or written by this batch). */
  checkedSent: Set<string>;
  /** Letters waiting on an account this batch learned, being put back on the queue: the batch answers once they are. */
  releasing: Promise<void>[];
}

/**
 * A message ready to send: its user, what to write (null: the event is older than what its key
 * last wrote, so only its lifecycle events go), the watermark to raise once it is written, and
 * its lifecycle events.
 */
export interface Ready {
  kind: "ready";
  uid: string;
  patch: UserPatch | null;
  order?: EventOrder;
  events: LifecycleEvent[];
}

/**
 * Everything between reading a message and sending it, in the order that keeps the guarantees:
 * 1. a thin event's object is fetched (API mode), or the event waits for a Stripe key;
 * 2. an event naming both its user and its account teaches the directory (and releases the letters
 *    waiting on that account);
 * 3. the stale-event guard: an event older than what its key last wrote is not written; its
 *    lifecycle events, facts that happened all the same, are still sent;
 * 4. API mode replaces the snapshot with the current state (recorded as of when it was fetched);
 * 5. the uid: the payload's, else the directory's, else (API mode) the provider's record of the
 *    account; none: the message waits in the state store until the account's uid is learned.
 * Resolves with what to send, or with how the message ended.
 */
export async function prepare(m: InboundMessage, message: QueueMessage, batch: BatchState, deps: DeliverDeps): Promise<Ready | Outcome> {
  const refresher = message.refresh ? batch.refresher(message.source) : undefined;
  const eventAt = Date.parse(message.occurred_at);
  const api = () => ({ timeoutMs: deps.remainingMs() });
  if (refresher && deps.remainingMs() < (deps.minAttemptMs ?? MIN_ATTEMPT_MS)) {
    logMessage(deps, m, { outcome: "deferred", message, error: "no_time_left" });
    return "deferred";
  }
  try {
    let { uid, subject, order, patch } = { uid: message.uid ?? undefined, subject: message.subject, order: message.order, patch: message.upsert };
    let refresh = message.refresh;
    let events = message.events ?? [];

    if (patch === null) {
      if (!refresher) {
        return parkWaiting(deps, m, message, STRIPE_API_KEY_SUBJECT, { reason: DeadLetterReason.StripeApiKeyMissing, attempts: 0 });
      }
      const expanded = await beforeDeadline(refresher.expand(message, api()), deps.remainingMs());
      if (expanded === "missing") return deadLetter(deps, m, message, { reason: DeadLetterReason.ObjectMissing, attempts: 1 });
      ({ uid = uid, subject = subject, order = order, refresh, patch } = expanded);
      events = lifecycleEvents(expanded.events, message.occurred_at, deps.config.events);
    }

    if (uid !== undefined && subject !== undefined && deps.state) await learn(deps, message.source, subject, uid, batch);

    let stale = false;
    if (order) {
      const key = stateKey(message.source, order.key);
      const written = Math.max(batch.snapshot.watermarks.get(key) ?? -Infinity, batch.pending.get(key) ?? -Infinity);
      if (order.at < written) {
        if (events.length === 0) {
          logMessage(deps, m, { outcome: "stale", message, reason: "older_than_written" });
          return "stale";
        }
        stale = true;
      }
    }

    if (stale) {
      // Only the events go: nothing is fetched or written, no watermark moves.
      patch = null;
      order = undefined;
    } else if (refresher && refresh) {
      const current = await beforeDeadline(refresher.current(refresh, eventAt, api()), deps.remainingMs());
      if (current === "missing") return deadLetter(deps, m, message, { reason: DeadLetterReason.ObjectMissing, attempts: 1 });
      patch = current.patch;
      if (order) order = { key: order.key, at: Math.max(order.at, current.asOf) };
    }
    if (order) {
      const key = stateKey(message.source, order.key);
      batch.pending.set(key, Math.max(batch.pending.get(key) ?? -Infinity, order.at));
    }

    if (uid === undefined && subject !== undefined) {
      uid = batch.snapshot.uids.get(stateKey(message.source, subject));
      if (uid === undefined && refresher) {
        uid = await beforeDeadline(refresher.uidOf(subject, api()), deps.remainingMs());
        if (uid !== undefined && deps.state) await learn(deps, message.source, subject, uid, batch);
      }
    }
    if (uid === undefined) {
      if (subject === undefined) return deadLetter(deps, m, message, { reason: DeadLetterReason.UidUnresolved, attempts: 0 });
      return parkWaiting(deps, m, message, subject, { reason: DeadLetterReason.UidUnresolved, attempts: 0 });
    }
    if (patch === null && !stale) return deadLetter(deps, m, message, { reason: DeadLetterReason.InvalidMessage, attempts: 0 });
    return order ? { kind: "ready", uid, patch, order, events } : { kind: "ready", uid, patch, events };
  } catch (err) {
    logMessage(deps, m, { outcome: "failed", message, error: isBridgeError(err) ? err.code : ((err as { code?: string }).code ?? "unexpected") });
    return "failed";
  }
}

/**
 * Records `subject → uid`. When that is news, the letters waiting on the subject go back on the
 * queue while the batch goes on (they join the back of the user's group either way; the batch
 * answers once they are back); when it replaces another uid, the change is logged (it takes effect
 * from now on).
 */
export async function learn(deps: DeliverDeps, source: string, subject: string, uid: string, batch: BatchState): Promise<void> {
  const state = deps.state;
  if (!state) return;
  const key = stateKey(source, subject);
  if (batch.snapshot.uids.get(key) === uid) return;
  const learned = await state.learn(source, subject, uid, { timeoutMs: deps.remainingMs() });
  batch.snapshot.uids.set(key, uid);
  if (!learned.changed) return;
  if (learned.previous !== undefined) deps.logger.warn("identity changed", { source, subject, previous_uid: learned.previous, uid });
  batch.releasing.push(
    redriveWaiting(deps, source, subject, uid).then(
      () => undefined,
      (err: unknown) => deps.logger.warn("waiting letters not released", { source, error: isBridgeError(err) ? err.code : "unexpected" }),
    ),
  );
}
