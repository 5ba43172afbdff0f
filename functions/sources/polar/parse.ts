import { isoTime } from "../../iso-time";
import { issuePaths } from "../../validation";
import { standardWebhookId } from "../standard-webhooks";
import type { Parsed, Verified } from "../types";
import { EVENTS, EnvelopeSchema, type PolarData, type PolarEventType } from "./schema";

/** The Polar event types the mapping turns into upserts; every other type is ignored. */
export const POLAR_MAPPED_EVENT_TYPES = Object.keys(EVENTS) as readonly PolarEventType[];

const isMapped = (type: string): type is PolarEventType => Object.hasOwn(EVENTS, type);

/**
 * Validates a Polar webhook body: the envelope, then, for a mapped type, its `data` against that
 * type's schema (issue paths are the body's own: `data.customer.id`). The event id is the
 * `webhook-id` header (Polar's event id), the time the envelope's `timestamp`. Polar's payloads do
 * not say whether they come from its sandbox: that is told apart by which stage the sandbox's
 * endpoint points at, not per event (`livemode` stays unset).
 */
export function parsePolarEvent(body: unknown, verified: Verified): Parsed<PolarData> {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: "invalid", issues: issuePaths(envelope.error) };
  const { type, timestamp } = envelope.data;
  if (!isMapped(type)) return { kind: "ignored", reason: "unmapped_event_type" };
  const data = EVENTS[type].safeParse(envelope.data.data);
  if (!data.success) return { kind: "invalid", issues: issuePaths(data.error, ["data"]) };
  // `type` picked the schema `data` passed.
  const event = { type, data: data.data } as PolarData;
  return { kind: "event", event: { id: standardWebhookId(verified), type, occurredAt: isoTime(Date.parse(timestamp)), data: event } };
}
