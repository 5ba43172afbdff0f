import { createHash } from "node:crypto";
import * as z from "zod";
import { patchOf, type Typed } from "./sources/billing";
import { PropertiesSchema, PropertyTypeSchema } from "./upsert";

/**
 * Lifecycle events: the moments at which billing and signup state changed, sent as Fullstory
 * server events (`POST /v2/events`) beside the user upsert when `FULLSTORY_EVENTS` is on. Sources
 * map what an event says happened to facts under these default names; the settings rename or drop
 * single ones. https://developer.fullstory.com/server/events/create-event
 */
export const LIFECYCLE_EVENT_NAMES = [
  "Signed Up",
  "Account Deleted",
  "Trial Started",
  "Subscription Started",
  "Subscription Plan Changed",
  "Subscription Cancellation Scheduled",
  "Subscription Canceled",
  "Trial Ending",
  "Payment Succeeded",
  "Payment Failed",
  "Refund Issued",
] as const;
export type LifecycleEventName = (typeof LIFECYCLE_EVENT_NAMES)[number];

/**
 * Fullstory's limits on an event: a name of 1 to 250 characters, properties named and sized as a
 * user's are, and at most 512 KB of payload.
 * https://help.fullstory.com/hc/en-us/articles/360020623234-Client-API-Requirements
 */
export const EVENT_LIMITS = { name: 250, payloadBytes: 512 * 1024, perMessage: 16 } as const;

/** A moment a source found in an event, under its default name, with typed properties (undefined ones left out). */
export interface LifecycleFact {
  name: LifecycleEventName;
  properties: Record<string, Typed>;
}

/** One event as the queue message carries it and Fullstory receives it (with the uid added). */
export const LifecycleEventSchema = z
  .object({
    name: z.string().min(1).max(EVENT_LIMITS.name),
    /** When it happened (ISO-8601): Fullstory would otherwise use the time it received the event. */
    timestamp: z.iso.datetime(),
    properties: PropertiesSchema,
    schema: z.object({ properties: z.record(z.string(), PropertyTypeSchema) }),
  })
  .refine((e) => Buffer.byteLength(JSON.stringify(e.properties), "utf8") <= EVENT_LIMITS.payloadBytes, {
    message: `properties larger than ${EVENT_LIMITS.payloadBytes} bytes`,
    path: ["properties"],
  });
export type LifecycleEvent = z.infer<typeof LifecycleEventSchema>;

/** Whether lifecycle events are sent, and the name each default one goes by (`false`: not sent). */
export interface EventSettings {
  enabled: boolean;
  names: Readonly<Record<LifecycleEventName, string | false>>;
}

/** `FULLSTORY_EVENT_NAMES`: default name → new name (1 to 250 characters) or `false`, for any of the defaults. */
export const EventNamesSchema = z.partialRecord(
  z.enum(LIFECYCLE_EVENT_NAMES),
  z.union([z.string().trim().min(1).max(EVENT_LIMITS.name), z.literal(false)]),
);

/** The settings with every default name kept, renamed by `overrides`. */
export function eventSettings(enabled: boolean, overrides: Partial<Record<LifecycleEventName, string | false>> = {}): EventSettings {
  const names = Object.fromEntries(LIFECYCLE_EVENT_NAMES.map((name) => [name, overrides[name] ?? name])) as Record<LifecycleEventName, string | false>;
  return { enabled, names };
}

/**
 * The events to send for `facts`, as the settings have them: none when the feature is off, each
 * under its configured name (those set to `false` left out), stamped with when the source says it
 * happened.
 */
export function lifecycleEvents(facts: readonly LifecycleFact[] | undefined, at: string, settings: EventSettings): LifecycleEvent[] {
  if (!settings.enabled || !facts) return [];
  const events: LifecycleEvent[] = [];
  for (const fact of facts) {
    const name = settings.names[fact.name];
    if (name === false) continue;
    const { properties, schema } = patchOf(fact.properties);
    events.push({ name, timestamp: at, properties, schema: schema ?? { properties: {} } });
  }
  return events;
}

/**
 * The id under which an event Fullstory accepted is remembered (source, event id, uid and name),
 * so that a redrive, days later, does not send it again: Fullstory keeps an Idempotency-Key's
 * answer for 24 hours only. https://developer.fullstory.com/server/idempotent-requests
 */
export function sentEventId(source: string, eventId: string, uid: string, name: string): string {
  return createHash("sha256").update(`${source}\n${eventId}\n${uid}\n${name}`).digest("hex");
}
