import type { Config } from "../functions/config";
import { QueueMessageSchema, messageGroupId, type Failure } from "../functions/message";
import { renormalise } from "./renormalise";

/** One dead letter as `dlq list` shows it: what the event was, and why it is parked. */
export interface DeadLetterView {
  /** How the queue names it: the local store's row id, or the SQS MessageId. */
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

/** A dead letter's view; a body that is not a bridge message (an `invalid_message`) shows nulls for the event. */
export function viewOf(id: string, body: string, failure: Failure): DeadLetterView {
  const parsed = parseMessage(body);
  return {
    id,
    event_id: parsed?.event_id ?? null,
    source: parsed?.source ?? null,
    event_type: parsed?.event_type ?? null,
    uid: parsed?.upsert?.uid ?? null,
    ...failure,
  };
}

function parseMessage(body: string) {
  try {
    const parsed = QueueMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What to do with one dead letter on redrive: send this body in this group, or keep it parked and say why. */
export type RedrivePlan = { kind: "send"; body: string; groupId: string } | { kind: "keep"; why: string };

/**
 * Decides one dead letter's redrive. As it was: the same body, back in its uid's group. With
 * `renormalise`: the upsert rebuilt from the kept raw event under today's `config`. A letter that
 * would only come straight back (no uid, not a bridge message) stays parked, with the reason.
 */
export function planRedrive(body: string, options: { renormalise: boolean; config: Config }): RedrivePlan {
  const message = parseMessage(body);
  if (!message) return { kind: "keep", why: "not a bridge message (invalid_message): nothing to redrive" };
  if (options.renormalise) {
    const rebuilt = renormalise(message, options.config);
    switch (rebuilt.kind) {
      case "message":
        return { kind: "send", body: JSON.stringify(rebuilt.message), groupId: rebuilt.groupId };
      case "unresolved":
        return { kind: "keep", why: "the uid is still unresolved with the current mapping settings" };
      case "ignored":
        return { kind: "keep", why: `the current mapping ignores it (${rebuilt.reason})` };
      case "invalid":
        return { kind: "keep", why: `the kept event no longer matches the schema at ${rebuilt.issues.join(", ")}` };
    }
  }
  if (!message.upsert) return { kind: "keep", why: "uid_unresolved: fix the mapping settings, then redrive with --renormalise" };
  return { kind: "send", body, groupId: messageGroupId(message.upsert.uid, message.source, message.event_id) };
}

/** The event id in a dead letter's body, for `--event` filters. */
export function eventIdOf(body: string): string | undefined {
  return parseMessage(body)?.event_id;
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
