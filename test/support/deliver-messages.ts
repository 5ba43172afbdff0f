import type { InboundMessage } from "../../functions/deliver-core";
import { idempotencyKey, queueEntry, type QueueMessage } from "../../functions/message";
import { UpsertSchema, type Upsert } from "../../functions/upsert";

let counter = 0;

/**
 * A valid queue message (contract v2) for `uid` (null: a user the payload does not name); each call
 * gets a fresh event id unless given one.
 */
export function queueMessage(uid: string | null, overrides: Partial<QueueMessage> & { properties?: Upsert["properties"] } = {}): QueueMessage {
  const { properties, ...rest } = overrides;
  counter++;
  return {
    v: 3,
    source: "standard",
    event_id: `evt_${counter}`,
    event_type: "upsert",
    occurred_at: "2025-06-01T12:00:00.000Z",
    received_at: "2025-06-01T12:00:01.000Z",
    uid,
    upsert: { email: `${uid ?? "someone"}@example.com`, properties: properties ?? { plan: "pro", seats: counter } },
    raw: "{}",
    ...rest,
  };
}

/**
 * The Idempotency-Key deliver sends `upsert` with, for the event `eventId` of `source`: of the
 * upsert as the schema orders it (deliver sends it so).
 */
export function upsertKey(source: string, eventId: string, upsert: Upsert | Record<string, unknown>): string {
  const read = UpsertSchema.parse(upsert);
  return idempotencyKey(source, eventId, read.uid, JSON.stringify(read));
}

/** The upsert deliver sends for `message` alone. */
export const upsertOf = (message: QueueMessage): Upsert => ({ uid: message.uid ?? "", ...(message.upsert ?? { properties: {} }) });

/** The message as the queue would hand it to deliver. */
export function inbound(message: QueueMessage, receiveCount = 1): InboundMessage {
  counter++;
  const { body, groupId } = queueEntry(message);
  return { id: `msg-${counter}`, body, groupId, receiveCount };
}
