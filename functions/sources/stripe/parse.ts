import { isoTime } from "../../iso-time";
import { issuePaths } from "../../validation";
import type { Parsed } from "../types";
import { EnvelopeSchema, OBJECT_SCHEMAS, ThinEventSchema, type StripeData, type StripeEventType } from "./schema";

/** The Stripe event types the default mapping turns into upserts; every other type is ignored. */
export const STRIPE_MAPPED_EVENT_TYPES = Object.keys(OBJECT_SCHEMAS) as readonly StripeEventType[];

const isMapped = (type: string): type is StripeEventType => Object.hasOwn(OBJECT_SCHEMAS, type);

/**
 * Validates a Stripe webhook body: first the event envelope, then, for a mapped event type, its
 * `data.object` against that type's schema. Unmapped types are `ignored` (Stripe endpoints are often
 * subscribed to more events than the bridge maps); mismatches are `invalid` with the paths in the
 * body (`data.object.customer`), never the values.
 */
export function parseStripeEvent(body: unknown): Parsed<StripeData> {
  if (isThin(body)) return parseThinEvent(body);
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: "invalid", issues: issuePaths(envelope.error) };
  const { id, type, created, livemode } = envelope.data;
  if (!isMapped(type)) return { kind: "ignored", reason: "unmapped_event_type" };

  const object = OBJECT_SCHEMAS[type].safeParse(envelope.data.data.object);
  // Issue paths are those of the body itself: `data.object.customer`.
  if (!object.success) return { kind: "invalid", issues: issuePaths(object.error, ["data", "object"]) };
  // `type` was checked against OBJECT_SCHEMAS just above, so it names the schema `object` passed.
  const previous = envelope.data.data.previous_attributes;
  const data = (previous ? { type, object: object.data, previous } : { type, object: object.data }) as StripeData;
  return {
    kind: "event",
    event: { id, type, occurredAt: isoTime(created * 1000), livemode, data },
  };
}

/** Thin events say so in `object`; snapshot events say `"event"`. */
const isThin = (body: unknown): boolean =>
  typeof body === "object" && body !== null && (body as { object?: unknown }).object === "v2.core.event";

// A thin event's type names the v1 event it stands for: `v1.customer.subscription.updated`.
const THIN_PREFIX = "v1.";

/**
 * Validates a thin event (an event destination's `v2.core.event`): its type must stand for a
 * mapped v1 event type and name a related object, which API mode fetches. Other types are ignored.
 * https://docs.stripe.com/event-destinations#thin-payload
 */
function parseThinEvent(body: unknown): Parsed<StripeData> {
  const thin = ThinEventSchema.safeParse(body);
  if (!thin.success) return { kind: "invalid", issues: issuePaths(thin.error) };
  const { id, type, created, livemode, related_object: related } = thin.data;
  const of = type.startsWith(THIN_PREFIX) ? type.slice(THIN_PREFIX.length) : "";
  if (!isMapped(of) || !related) return { kind: "ignored", reason: "unmapped_event_type" };
  const data: StripeData = { type: "thin", of, related: { id: related.id, type: related.type } };
  return { kind: "event", event: { id, type, occurredAt: new Date(created).toISOString(), livemode, data } };
}
