import type { Config } from "./config";
import { lifecycleEvents } from "./lifecycle";
import { EventsSchema, QueueMessageSchema, QueueMessageV1Schema, QueueMessageV2Schema, type QueueMessage, type QueueMessageV1 } from "./message";
import { findSource } from "./sources";
import type { Source, SourceEvent, Verified } from "./sources/types";
import { issuePaths } from "./validation";
import { patchLimitIssues, type Upsert, type UserPatch } from "./upsert";

/** What building a queue message from a verified event came to. */
export type Built = { kind: "message"; message: QueueMessage } | { kind: "ignored"; reason: string } | { kind: "invalid"; issues: string[] };

/**
 * The queue message for a verified, parsed event: the source's mapping, checked against
 * Fullstory's limits (a message deliver would refuse is `invalid`, with body paths), with the
 * lifecycle events the settings send. Shared by ingest, a re-normalising redrive and the reading of
 * version-1 messages, so all three map alike.
 */
export function buildMessage(source: Source, event: SourceEvent, config: Config, raw: string, receivedAt: string): Built {
  const normalised = source.normalise(event, config);
  if (normalised.kind === "ignored") return normalised;
  const { uid, subject, patch, order, refresh } = normalised.mapped;
  const issues = patch ? patchLimitIssues(patch) : [];
  if (issues.length > 0) return { kind: "invalid", issues };
  const events = lifecycleEvents(normalised.mapped.events, event.occurredAt, config.events);
  const message: QueueMessage = {
    v: 3,
    source: source.name,
    event_id: event.id,
    event_type: event.type,
    occurred_at: event.occurredAt,
    received_at: receivedAt,
    uid: uid ?? null,
    ...(subject === undefined ? {} : { subject }),
    ...(order === undefined ? {} : { order }),
    ...(refresh === undefined ? {} : { refresh }),
    upsert: patch,
    ...(events.length > 0 ? { events } : {}),
    raw,
  };
  // Events are checked against Fullstory's limits as upserts are (a plan name over 8 KB, say).
  if (events.length > 0) {
    const checked = EventsSchema.safeParse(events);
    if (!checked.success) return { kind: "invalid", issues: issuePaths(checked.error, ["events"]) };
  }
  return { kind: "message", message };
}

/**
 * The message rebuilt from its kept `raw` body with today's mapping and `config` (say, after
 * STRIPE_UID_METADATA_KEYS gained the key an event carries). The signature is not checked again:
 * the raw body was verified when it arrived, and the signature headers were not kept. Standard
 * Webhooks sources take their event id and timestamp from those headers, so the verified fields
 * are rebuilt from the message itself (`event_id`, `occurred_at`), which is what parse made of them
 * the first time.
 */
export function rebuildMessage(message: Pick<QueueMessage, "source" | "event_id" | "occurred_at" | "received_at" | "raw">, config: Config): Built {
  const source = findSource(message.source);
  if (!source) return { kind: "invalid", issues: ["source"] };
  let body: unknown;
  try {
    body = JSON.parse(message.raw);
  } catch {
    return { kind: "invalid", issues: ["raw"] };
  }
  const verified: Verified = { id: message.event_id, timestamp: Math.floor(Date.parse(message.occurred_at) / 1000) };
  const parsed = source.parse(body, verified);
  if (parsed.kind !== "event") return parsed;
  return buildMessage(source, parsed.event, config, message.raw, message.received_at);
}

/**
 * A version-1 message as version 3 (without lifecycle events: they were not asked for then). Its upsert and uid stay as they were queued; what version 1
 * did not carry (the account it is about, the stale-event guard's key, what API mode would fetch,
 * and the patch of an event whose uid was not found) comes from its raw body, mapped again.
 */
function upgrade(v1: QueueMessageV1, config: Config): QueueMessage {
  const rebuilt = rebuildMessage(v1, config);
  const derived = rebuilt.kind === "message" ? rebuilt.message : undefined;
  const { v: _, upsert, ...envelope } = v1;
  const patch = upsert ? withoutUid(upsert) : null;
  return {
    ...envelope,
    v: 3,
    uid: upsert?.uid ?? derived?.uid ?? null,
    ...(derived?.subject === undefined ? {} : { subject: derived.subject }),
    ...(derived?.order === undefined ? {} : { order: derived.order }),
    ...(derived?.refresh === undefined ? {} : { refresh: derived.refresh }),
    upsert: patch ?? derived?.upsert ?? null,
  };
}

const withoutUid = ({ uid: _, ...patch }: Upsert): UserPatch => patch;

/** Reads a queue message body of any version (1 and 2 upgraded); undefined when it is none. */
export function readQueueMessage(body: string, config: Config): QueueMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const v3 = QueueMessageSchema.safeParse(json);
  if (v3.success) return v3.data;
  const v2 = QueueMessageV2Schema.safeParse(json);
  if (v2.success) return { ...v2.data, v: 3 };
  const v1 = QueueMessageV1Schema.safeParse(json);
  return v1.success ? upgrade(v1.data, config) : undefined;
}
