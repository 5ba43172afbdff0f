import { createHash } from "node:crypto";
import * as z from "zod";
import { sqsJson } from "./queue/limits";
import { EVENT_LIMITS, LifecycleEventSchema } from "./lifecycle";
import { UidSchema, UpsertSchema, UserPatchSchema } from "./upsert";

const Envelope = {
  source: z.string().min(1),
  event_id: z.string().min(1),
  event_type: z.string().min(1),
  occurred_at: z.iso.datetime(),
  received_at: z.iso.datetime(),
  /** The verified request body, so a redrive can re-normalise it with today's settings. */
  raw: z.string(),
};

const V2Fields = {
  ...Envelope,
  uid: UidSchema.nullable(),
  subject: z.string().min(1).optional(),
  order: z.object({ key: z.string().min(1), at: z.number().finite() }).optional(),
  refresh: z.object({ family: z.string().min(1), id: z.string().min(1) }).optional(),
  upsert: UserPatchSchema.nullable(),
};

/**
 * The versioned contract between ingest and deliver (and the dead-letter tools), version 3. Ingest
 * builds it; deliver and `dlq` read it back (see `readQueueMessage`): a body that does not parse is
 * an `invalid_message` dead letter. `uid` is null when the payload does not name the user: deliver
 * then resolves `subject` through the identity directory (or the provider's API). `upsert` is the
 * patch for that user, null for an event that carries no state (fetched in API mode). `order` is
 * the stale-event guard's key and position, `refresh` what API mode fetches instead of the snapshot.
 * `events` are the lifecycle events to send after the upsert (functions/lifecycle.ts), already
 * named as the settings say; absent when the feature is off or the event records no moment.
 */
export const EventsSchema = z.array(LifecycleEventSchema).min(1).max(EVENT_LIMITS.perMessage);
export const QueueMessageSchema = z.object({
  v: z.literal(3),
  ...V2Fields,
  events: EventsSchema.optional(),
  /** The request id of the ingest invocation that queued it, logged by deliver beside its own. */
  correlation_id: z.string().min(1).max(128).optional(),
});
export type QueueMessage = z.infer<typeof QueueMessageSchema>;

/** Version 2: version 3 without lifecycle events. Still read (as version 3 without events) for letters queued before an upgrade. */
export const QueueMessageV2Schema = z.object({ v: z.literal(2), ...V2Fields });

/**
 * Version 1, as the first release queued it (the upsert with its uid, or null when ingest found no
 * uid). Still read, so that dead letters parked before an upgrade can be redriven after it.
 */
export const QueueMessageV1Schema = z.object({ v: z.literal(1), ...Envelope, upsert: UpsertSchema.nullable() });
export type QueueMessageV1 = z.infer<typeof QueueMessageV1Schema>;

/** Why a message is a dead letter. */
export const DeadLetterReason = {
  UidUnresolved: "uid_unresolved",
  InvalidMessage: "invalid_message",
  /** Fullstory answered a permanent 4xx (400, 404, 413, 422): the payload must change. */
  Rejected: "rejected",
  RegionMismatch: "region_mismatch",
  /** SQS moved it after maxReceiveCount, or local mode's retry window ran out. */
  RetriesExhausted: "retries_exhausted",
  /** API mode: the object the event is about no longer exists at the provider (deleted, or another account's). */
  ObjectMissing: "object_missing",
  /** A Stripe thin event, which carries no state: it waits for STRIPE_API_KEY (or its parameter) to be set. */
  StripeApiKeyMissing: "stripe_api_key_missing",
} as const;
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

export const FailureSchema = z.object({
  reason: z.enum(Object.values(DeadLetterReason) as [DeadLetterReason, ...DeadLetterReason[]]),
  /** Fullstory's (or, for object_missing, the provider's) HTTP status, code and message, when it answered. */
  status: z.number().int().optional(),
  code: z.string().optional(),
  message: z.string().optional(),
  attempts: z.number().int().nonnegative(),
  first_failed_at: z.iso.datetime(),
});
export type Failure = z.infer<typeof FailureSchema>;

// SQS FIFO MessageGroupId: ≤ 128 characters of alphanumerics and punctuation.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
const GROUP_ID = /^[\x21-\x7e]{1,128}$/;

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * FIFO group of a message: the uid itself when SQS accepts it (so order is per Fullstory user),
 * else its SHA-256. A message whose uid is still to be resolved is grouped by the account it is
 * about (`subject`), so one customer's events keep their order until the uid is known, or by its
 * own event when it names no account.
 */
export function messageGroupId(uid: string | null, source: string, eventIdOrSubject: string): string {
  if (uid === null) return sha256(`unresolved\n${source}\n${eventIdOrSubject}`);
  return GROUP_ID.test(uid) ? uid : sha256(uid);
}

/** FIFO deduplication id: a hash of source + event id + uid, so a re-sent webhook is taken once. */
export function deduplicationId(source: string, eventId: string, uid: string | null): string {
  return sha256(`${source}\n${eventId}\n${uid ?? ""}`);
}

/** A message as the queue stores it: the serialised body, its FIFO group and its deduplication id. */
export interface QueueEntry {
  body: string;
  groupId: string;
  deduplicationId: string;
}

/**
 * The entry a message is queued as, serialised once: ingest sizes exactly these bytes against the
 * queue's limit before it sends them.
 */
export function queueEntry(message: QueueMessage): QueueEntry {
  return {
    body: sqsJson(message),
    groupId: messageGroupId(message.uid, message.source, message.subject ?? message.event_id),
    deduplicationId: deduplicationId(message.source, message.event_id, message.uid),
  };
}

/**
 * Fullstory `Idempotency-Key`: a UUID (version 5 layout) derived from source + event id + uid + a
 * hash of the request body. Every retry of one request shares its key, so Fullstory applies it
 * once; a body that changed (re-normalised, refreshed from the provider's API, merged with other
 * events of the user) is a new request with a new key, since Fullstory stores the first answer per
 * key and refuses the same key with another body. https://developer.fullstory.com/server/idempotent-requests
 */
export function idempotencyKey(source: string, eventId: string, uid: string, body: string): string {
  const hex = createHash("sha1")
    .update(`fullstory-webhook-bridge\n${source}\n${eventId}\n${uid}\n`)
    .update(sha256(body))
    .digest("hex");
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
