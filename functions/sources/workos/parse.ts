import { isoTime } from "../../iso-time";
import { issuePaths } from "../../validation";
import type { Parsed } from "../types";
import { EVENTS, EnvelopeSchema, type WorkosData, type WorkosEventType } from "./schema";

/** The WorkOS event types the mapping turns into upserts; every other type is ignored. */
export const WORKOS_MAPPED_EVENT_TYPES = Object.keys(EVENTS) as readonly WorkosEventType[];

const isMapped = (type: string): type is WorkosEventType => Object.hasOwn(EVENTS, type);

/**
 * Validates a WorkOS webhook body: the envelope, then, for a mapped type, its `data` against that
 * type's schema (issue paths are the body's own: `data.created_at`). The event id is WorkOS's own
 * (`event_…`, the same on every retry), the time the event's `created_at`. WorkOS's payloads do not
 * say which environment sent them: staging is told apart by which stage its endpoint points at.
 */
export function parseWorkosEvent(body: unknown): Parsed<WorkosData> {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: "invalid", issues: issuePaths(envelope.error) };
  const { id, event: type, created_at: createdAt } = envelope.data;
  if (!isMapped(type)) return { kind: "ignored", reason: "unmapped_event_type" };
  const data = EVENTS[type].safeParse(envelope.data.data);
  if (!data.success) return { kind: "invalid", issues: issuePaths(data.error, ["data"]) };
  // `type` picked the schema `data` passed.
  const event = { type, data: data.data } as WorkosData;
  return { kind: "event", event: { id, type, occurredAt: isoTime(Date.parse(createdAt)), data: event } };
}
