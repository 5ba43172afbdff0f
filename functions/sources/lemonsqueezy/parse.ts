import { isoTime } from "../../iso-time";
import { issuePaths } from "../../validation";
import type { Parsed, Verified } from "../types";
import { EVENTS, EnvelopeSchema, type LemonSqueezyData, type LemonSqueezyEventName } from "./schema";

/** The Lemon Squeezy event names the mapping turns into upserts; every other event is ignored. */
export const LEMONSQUEEZY_MAPPED_EVENT_TYPES = Object.keys(EVENTS) as readonly LemonSqueezyEventName[];

const isMapped = (name: string): name is LemonSqueezyEventName => Object.hasOwn(EVENTS, name);

/**
 * Validates a Lemon Squeezy webhook body: the envelope, then, for a mapped event, that `data` is the
 * resource the event carries and its attributes match that resource's schema (issue paths are the
 * body's own: `data.attributes.customer_id`). The event name is read from `meta.event_name`, which
 * the signature covers, never from the unsigned X-Event-Name header. The id is the verifier's hash
 * of the body; the event's time is the object's `updated_at` (Lemon Squeezy's only clock on the
 * event); test mode is `meta.test_mode`, else the object's own `test_mode`.
 */
export function parseLemonSqueezyEvent(body: unknown, verified: Verified): Parsed<LemonSqueezyData> {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: "invalid", issues: issuePaths(envelope.error) };
  const { meta, data } = envelope.data;
  const name = meta.event_name;
  if (!isMapped(name)) return { kind: "ignored", reason: "unmapped_event_type" };
  const spec = EVENTS[name];
  if (data.type !== spec.type) return { kind: "invalid", issues: ["data.type"] };
  const attributes = spec.schema.safeParse(data.attributes);
  if (!attributes.success) return { kind: "invalid", issues: issuePaths(attributes.error, ["data", "attributes"]) };
  if (verified.id === undefined) throw new Error("A Lemon Squeezy request was parsed without the verifier's body hash.");

  // `kind` and `attributes` come from the same EVENTS entry, so they agree.
  const event = { name, meta, id: data.id, kind: spec.kind, attributes: attributes.data } as LemonSqueezyData;
  const testMode = meta.test_mode ?? attributes.data.test_mode;
  return {
    kind: "event",
    event: {
      id: verified.id,
      type: name,
      occurredAt: isoTime(Date.parse(attributes.data.updated_at)),
      ...(testMode === undefined ? {} : { livemode: !testMode }),
      data: event,
    },
  };
}
