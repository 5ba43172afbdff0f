import { isoTime } from "../../iso-time";
import { issuePaths } from "../../validation";
import type { Parsed } from "../types";
import { DATA_SCHEMAS, EnvelopeSchema, type PaddleData, type PaddleEventType } from "./schema";

/** The Paddle event types the mapping turns into upserts; every other type is ignored. */
export const PADDLE_MAPPED_EVENT_TYPES = Object.keys(DATA_SCHEMAS) as readonly PaddleEventType[];

const isMapped = (type: string): type is PaddleEventType => Object.hasOwn(DATA_SCHEMAS, type);

/**
 * Webhook simulator events carry an `event_id` prefixed `ntfsimevt_` (a live event's is `evt_`):
 * the one sign in a payload that it is not a real event. Sandbox and live notifications look
 * alike, so for them the payload cannot tell (`livemode` stays undefined); each environment has
 * its own notification destination and secret key.
 * https://developer.paddle.com/api-reference/simulation-events/overview  https://developer.paddle.com/webhooks/test-webhooks
 */
const SIMULATED_EVENT_PREFIX = "ntfsimevt_";

/**
 * Validates a Paddle notification: the envelope, then, for a mapped event type, its `data` against
 * that type's schema. Unmapped types are `ignored`; mismatches `invalid` with the paths in the body
 * (`data.items.0.price`), never the values. The event id is Paddle's `event_id`, the same for every
 * destination and every retry of the event.
 */
export function parsePaddleEvent(body: unknown): Parsed<PaddleData> {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: "invalid", issues: issuePaths(envelope.error) };
  const { event_id: id, event_type: type, occurred_at: occurredAt } = envelope.data;
  if (!isMapped(type)) return { kind: "ignored", reason: "unmapped_event_type" };
  const data = DATA_SCHEMAS[type].safeParse(envelope.data.data);
  if (!data.success) return { kind: "invalid", issues: issuePaths(data.error, ["data"]) };
  return {
    kind: "event",
    event: {
      id,
      type,
      occurredAt: isoTime(Date.parse(occurredAt)),
      ...(id.startsWith(SIMULATED_EVENT_PREFIX) ? { livemode: false } : {}),
      // `type` was checked against DATA_SCHEMAS just above, so it names the schema `data` passed.
      data: { type, data: data.data } as PaddleData,
    },
  };
}
