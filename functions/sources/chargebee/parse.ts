import { isoTime } from "../../iso-time";
import { issuePaths } from "../../validation";
import type { Parsed } from "../types";
import { CONTENT_SCHEMAS, EnvelopeSchema, type ChargebeeData, type ChargebeeEventType } from "./schema";

/** The Chargebee event types the mapping turns into upserts; every other type is ignored. */
export const CHARGEBEE_MAPPED_EVENT_TYPES = Object.keys(CONTENT_SCHEMAS) as readonly ChargebeeEventType[];

const isMapped = (type: string): type is ChargebeeEventType => Object.hasOwn(CONTENT_SCHEMAS, type);

/**
 * Validates a Chargebee webhook body: the event envelope, then, for a mapped event type, its
 * `content` against that type's schema. Unmapped types are `ignored`; mismatches `invalid` with the
 * paths in the body (`content.subscription.status`), never the values. The event id is Chargebee's
 * `id` (`ev_…`), the same on every retry. A test site's events look like a live site's, so
 * `livemode` stays undefined: each site has its own webhook and credentials.
 */
export function parseChargebeeEvent(body: unknown): Parsed<ChargebeeData> {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: "invalid", issues: issuePaths(envelope.error) };
  const { id, event_type: type, occurred_at: occurredAt } = envelope.data;
  if (!isMapped(type)) return { kind: "ignored", reason: "unmapped_event_type" };
  const content = CONTENT_SCHEMAS[type].safeParse(envelope.data.content);
  if (!content.success) return { kind: "invalid", issues: issuePaths(content.error, ["content"]) };
  return {
    kind: "event",
    // `type` was checked against CONTENT_SCHEMAS just above, so it names the schema `content` passed.
    event: { id, type, occurredAt: isoTime(occurredAt * 1000), data: { type, content: content.data } as ChargebeeData },
  };
}
