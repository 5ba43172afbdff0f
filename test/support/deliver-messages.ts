import { idempotencyKey, messageGroupId, type QueueMessage } from "../../functions/message";
import type { InboundMessage } from "../../functions/deliver-core";
import { UpsertSchema, type Upsert } from "../../functions/upsert";

let counter = 0;

/** A valid queue message (contract v1) for `uid`; each call gets a fresh event id unless given one. */
export function queueMessage(uid: string | null, overrides: Partial<QueueMessage> & { properties?: Upsert["properties"] } = {}): QueueMessage {
  const { properties, ...rest } = overrides;
  counter++;
  return {
    v: 1,
    source: "standard",
    event_id: `evt_${counter}`,
    event_type: "upsert",
    occurred_at: "2025-06-01T12:00:00.000Z",
    received_at: "2025-06-01T12:00:01.000Z",
    upsert: uid === null ? null : { uid, email: `${uid}@example.com`, properties: properties ?? { plan: "pro", seats: counter } },
    raw: "{}",
    ...rest,
  };
}

/**
 * The Idempotency-Key deliver sends `upsert` with, for the event `eventId` of `source`: of the
 * upsert as the message schema reads it back (deliver sends that object, in the schema's key order).
 */
export function upsertKey(source: string, eventId: string, upsert: Upsert | Record<string, unknown>): string {
  const read = UpsertSchema.parse(upsert);
  return idempotencyKey(source, eventId, read.uid, JSON.stringify(read));
}

/** The message as the queue would hand it to deliver. */
export function inbound(message: QueueMessage, receiveCount = 1): InboundMessage {
  counter++;
  return {
    id: `msg-${counter}`,
    body: JSON.stringify(message),
    groupId: messageGroupId(message.upsert?.uid ?? null, message.source, message.event_id),
    receiveCount,
  };
}
