import type { Config } from "../config";
import type { FullstoryClient } from "../fullstory/client";
import type { Logger } from "../log";
import { deliveryMetrics, type MetricsSink } from "../metrics";
import type { QueueMessage } from "../message";
import type { QueuePort } from "../queue/port";
import type { Refresher } from "../refresh";
import type { StateStore } from "../state/port";

/** One message as the queue hands it over, free of SQS types so local mode can feed the same core. */
export interface InboundMessage {
  id: string;
  body: string;
  groupId: string;
  receiveCount: number;
}

export interface DeliverDeps {
  config: Config;
  /** The Fullstory key; `forceRefresh` after a 401/403, as it may have been rotated. */
  getApiKey(forceRefresh?: boolean): Promise<string>;
  fullstory: FullstoryClient;
  queue: QueuePort;
  /**
   * The identity directory, the stale-event guard and the letters waiting for a uid. Without it
   * (tests of the delivery rules alone) events are delivered as their payload names them.
   */
  state?: StateStore;
  /** API mode per source (Stripe, with a read-only key): a factory, called once per batch. */
  refreshers?: Readonly<Partial<Record<string, () => Refresher>>>;
  logger: Logger;
  /** Counts each message's outcome, Fullstory's answers and what API mode and lifecycle events cost (flushed by the handler). */
  metrics?: MetricsSink;
  /** The invocation's request id, logged beside each message's correlation id. */
  requestId?: string;
  /**
   * Time left for this batch, already net of the caller's safety margin. Every request is cut off
   * when it runs out, so the batch's answer always comes before the invocation's deadline.
   */
  remainingMs(): number;
  /** No request to Fullstory or a provider's API starts with less time than this left (default 1 s). */
  minAttemptMs?: number;
  /** Groups sent at once (same group: always one after the other). */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => Date;
}

/**
 * How one message ended: delivered; skipped as `stale` (an older event than what its key last
 * wrote: nothing written, its lifecycle events sent); `dead_lettered` (on the dead-letter queue, or waiting in the state store for its uid);
 * `failed` (retryable: back to the queue); `deferred` (not attempted: no time left, or behind an
 * earlier failure of its group).
 */
export type Outcome = "delivered" | "stale" | "dead_lettered" | "failed" | "deferred";

export interface MessageLog {
  outcome: Outcome;
  message?: QueueMessage;
  attempts?: number;
  status?: number;
  reason?: string;
  error?: string;
  blockedBy?: string;
  fullstoryId?: string;
  /** Messages sent together with this one as one upsert (coalesced), this one included. */
  merged?: number;
  /** Lifecycle events sent for this message by this delivery. */
  events?: number;
}

/**
 * One JSON line per message: ids (this invocation's request id and the ingest request's, its
 * correlation id), outcome, counts and codes only, never the key, an email or a body; and its
 * outcome counted in the metrics.
 */
export function logMessage(deps: Pick<DeliverDeps, "logger" | "metrics" | "requestId">, m: InboundMessage, f: MessageLog): void {
  for (const name of deliveryMetrics(f.outcome, f.reason)) deps.metrics?.count(f.message?.source ?? "unknown", name);
  const fields = {
    request_id: deps.requestId,
    correlation_id: f.message?.correlation_id,
    message_id: m.id,
    receive_count: m.receiveCount,
    event_id: f.message?.event_id,
    source: f.message?.source,
    event_type: f.message?.event_type,
    outcome: f.outcome,
    attempts: f.attempts ?? 0,
    status: f.status,
    reason: f.reason,
    error: f.error,
    blocked_by: f.blockedBy,
    merged: f.merged,
    events: f.events,
    // Fullstory's own id of the user ("dry-run" when local mode sends nothing).
    fullstory_id: f.fullstoryId,
  };
  if (f.outcome === "failed") deps.logger.warn("deliver", fields);
  else deps.logger.info("deliver", fields);
}
