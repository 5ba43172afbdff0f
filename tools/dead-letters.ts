import type { Config } from "../functions/config";
import { QueueMessageSchema, QueueMessageV1Schema, QueueMessageV2Schema, queueEntry, type Failure } from "../functions/message";
import { readQueueMessage, rebuildMessage } from "../functions/message-build";

/** One dead letter as `dlq list` shows it: what the event was, and why it is parked. */
export interface DeadLetterView {
  /** How the queue names it: the local store's row id, the SQS MessageId, or the state store's key of a waiting letter. */
  id: string;
  event_id: string | null;
  source: string | null;
  event_type: string | null;
  uid: string | null;
  reason: Failure["reason"];
  status?: number;
  code?: string;
  message?: string;
  attempts: number;
  first_failed_at: string;
}

/** The envelope of a bridge message of any version, for showing and filtering (no mapping needed). */
function envelopeOf(body: string): { event_id: string; source: string; event_type: string; uid: string | null } | undefined {
  try {
    const json: unknown = JSON.parse(body);
    const current = QueueMessageSchema.safeParse(json);
    if (current.success) return current.data;
    const v2 = QueueMessageV2Schema.safeParse(json);
    if (v2.success) return v2.data;
    const v1 = QueueMessageV1Schema.safeParse(json);
    return v1.success ? { ...v1.data, uid: v1.data.upsert?.uid ?? null } : undefined;
  } catch {
    return undefined;
  }
}

/** A dead letter's view; a body that is not a bridge message (an `invalid_message`) shows nulls for the event. */
export function viewOf(id: string, body: string, failure: Failure): DeadLetterView {
  const parsed = envelopeOf(body);
  return {
    id,
    event_id: parsed?.event_id ?? null,
    source: parsed?.source ?? null,
    event_type: parsed?.event_type ?? null,
    uid: parsed?.uid ?? null,
    ...failure,
  };
}

/** What to do with one dead letter on redrive: send this body in this group, or keep it parked and say why. */
export type RedrivePlan = { kind: "send"; body: string; groupId: string } | { kind: "keep"; why: string };

/**
 * Decides one dead letter's redrive. As it was: the same body, in its user's group (a letter whose
 * uid was not found goes back too: deliver looks it up again in the identity directory, and parks
 * it to wait there if it is still unknown). With `renormalise`: the message rebuilt from the kept
 * raw event under today's `config`. A letter that is not a bridge message, or that today's mapping
 * ignores or refuses, stays parked, with the reason.
 */
export function planRedrive(body: string, options: { renormalise: boolean; config: Config }): RedrivePlan {
  const message = readQueueMessage(body, options.config);
  if (!message) return { kind: "keep", why: "not a bridge message (invalid_message): nothing to redrive" };
  if (!options.renormalise) return { kind: "send", body, groupId: queueEntry(message).groupId };
  const rebuilt = rebuildMessage(message, options.config);
  switch (rebuilt.kind) {
    case "message": {
      const entry = queueEntry(rebuilt.message);
      return { kind: "send", body: entry.body, groupId: entry.groupId };
    }
    case "ignored":
      return { kind: "keep", why: `the current mapping ignores it (${rebuilt.reason})` };
    case "invalid":
      return { kind: "keep", why: `the kept event no longer matches the schema at ${rebuilt.issues.join(", ")}` };
  }
}

/** The event id in a dead letter's body, for `--event` filters. */
export function eventIdOf(body: string): string | undefined {
  return envelopeOf(body)?.event_id;
}

/** What redrive did with one dead letter. */
export interface RedriveOutcome {
  id: string;
  event_id: string | null;
  redriven: boolean;
  why?: string;
}

export interface RedriveOptions {
  renormalise: boolean;
  /** Only the dead letter(s) of this event id. */
  eventId?: string;
  config: Config;
}

/** The `dlq` verbs over one queue pair: the local store, or a deployed stage's SQS queues. */
export interface DeadLetterBackend {
  list(): Promise<{ letters: DeadLetterView[]; note?: string }>;
  redrive(options: RedriveOptions): Promise<RedriveOutcome[]>;
  /** Removes every dead letter; resolves with how many there were (approximate on SQS). */
  purge(): Promise<number>;
  close(): void;
}
