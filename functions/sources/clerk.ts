import * as z from "zod";
import type { Config } from "../config";
import { LIMITS, type Properties, type PropertyType } from "../upsert";
import { issuePaths } from "../validation";
import { accountDeleted, signedUp } from "./lifecycle";
import { standardWebhookId, verifyStandardWebhook } from "./standard-webhooks";
import type { Normalised, Parsed, Source, SourceEvent, Verified } from "./types";

/**
 * Clerk sends its webhooks through Svix (Standard Webhooks, `svix-*` headers) as an envelope
 * `{data, object: "event", type, timestamp, instance_id}` whose `data` is the User object for
 * `user.*` events, and only `{id, object, deleted}` for `user.deleted`.
 * https://clerk.com/docs/guides/development/webhooks/overview
 */
export const CLERK_MAPPED_EVENT_TYPES = ["user.created", "user.updated", "user.deleted"] as const;
type ClerkMappedType = (typeof CLERK_MAPPED_EVENT_TYPES)[number];

// Clerk's timestamps are milliseconds since the epoch. The bound (end of year 9999) keeps every
// accepted value convertible to an ISO-8601 string.
const EpochMs = z.number().int().min(0).max(253_402_300_799_999);

const EmailAddressSchema = z.object({
  id: z.string(),
  email_address: z.string(),
  verification: z.object({ status: z.string() }).nullish(),
});

/**
 * The parts of Clerk's User object the mapping reads: the `data` of `user.created` and
 * `user.updated`, and each entry `GET /v1/users` returns (read by `npm run backfill -- clerk`).
 * https://clerk.com/docs/reference/backend-api/tag/users/get/users
 */
export const ClerkUserSchema = z.object({
  id: z.string().min(1),
  external_id: z.string().nullish(),
  primary_email_address_id: z.string().nullish(),
  email_addresses: z.array(EmailAddressSchema),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  username: z.string().nullish(),
  created_at: EpochMs,
  last_sign_in_at: EpochMs.nullish(),
});

// Clerk's DeletedObject: `id` is optional in its own type, so a missing one is unresolved, not invalid.
const DeletedUserSchema = z.object({
  id: z.string().nullish(),
  external_id: z.string().nullish(),
  deleted: z.literal(true),
});

const Envelope = { object: z.literal("event"), timestamp: EpochMs.optional(), instance_id: z.string().optional() };

const EnvelopeSchema = z.object({ ...Envelope, type: z.string().min(1) });

const ClerkEventSchema = z.discriminatedUnion("type", [
  z.object({ ...Envelope, type: z.enum(["user.created", "user.updated"]), data: ClerkUserSchema }),
  z.object({ ...Envelope, type: z.literal("user.deleted"), data: DeletedUserSchema }),
]);
export type ClerkEvent = z.infer<typeof ClerkEventSchema>;
export type ClerkUser = z.infer<typeof ClerkUserSchema>;

const isMapped = (type: string): type is ClerkMappedType => (CLERK_MAPPED_EVENT_TYPES as readonly string[]).includes(type);

function parse(body: unknown, verified: Verified): Parsed<ClerkEvent> {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { kind: "invalid", issues: issuePaths(envelope.error) };
  if (!isMapped(envelope.data.type)) return { kind: "ignored", reason: "unmapped_event_type" };
  const parsed = ClerkEventSchema.safeParse(body);
  if (!parsed.success) return { kind: "invalid", issues: issuePaths(parsed.error) };
  const occurredMs = parsed.data.timestamp ?? verified.timestamp * 1000;
  return {
    kind: "event",
    event: { id: standardWebhookId(verified), type: parsed.data.type, occurredAt: new Date(occurredMs).toISOString(), data: parsed.data },
  };
}

/** The configured uid field, when it holds something Fullstory can take as a uid. */
function uidOf(data: { id?: string | null; external_id?: string | null }, config: Config): string | undefined {
  const uid = config.clerkUidField === "external_id" ? data.external_id : data.id;
  return uid && uid.length <= LIMITS.uid ? uid : undefined;
}

/** First and last name, else the username; omitted when neither is set. */
function displayName(user: ClerkUser): string | undefined {
  const full = [user.first_name, user.last_name]
    .map((part) => part?.trim() ?? "")
    .filter((part) => part.length > 0)
    .join(" ");
  return full || user.username?.trim() || undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Clerk users by the configured uid field. The subject is always Clerk's own user id: under
 * `CLERK_UID_FIELD=external_id` the identity directory learns id → external_id from every user
 * event, and resolves a `user.deleted`, whose payload carries only the id. Each user's events are
 * ordered by the event's own timestamp.
 */
function normalise(event: SourceEvent<ClerkEvent>, config: Config): Normalised {
  const uid = uidOf(event.data.data, config);
  const subject = event.data.data.id ?? undefined;
  const context = {
    ...(uid === undefined ? {} : { uid }),
    ...(subject ? { subject, order: { key: `user:${subject}`, at: Date.parse(event.occurredAt) } } : {}),
  };
  if (event.data.type === "user.deleted") {
    const patch = { properties: { account_deleted: true }, schema: { properties: { account_deleted: "bool" as const } } };
    return { kind: "mapped", mapped: { ...context, patch, events: [accountDeleted()] } };
  }

  const user = event.data.data;
  const primary = user.email_addresses.find((address) => address.id === user.primary_email_address_id);
  const properties: Properties = {
    signed_up_at: iso(user.created_at),
    email_verified: primary?.verification?.status === "verified",
  };
  const types: Record<string, PropertyType> = { signed_up_at: "date", email_verified: "bool" };
  if (user.last_sign_in_at != null) {
    properties.last_sign_in_at = iso(user.last_sign_in_at);
    types.last_sign_in_at = "date";
  }

  // Fullstory refuses the whole upsert when email or display_name exceed its limits
  // (https://developer.fullstory.com/server/users/create-user/): drop the field, keep the user.
  const name = displayName(user);
  const patch = {
    ...(primary && primary.email_address.length <= LIMITS.email ? { email: primary.email_address } : {}),
    ...(name && name.length <= LIMITS.displayName ? { display_name: name } : {}),
    properties,
    schema: { properties: types },
  };
  return { kind: "mapped", mapped: { ...context, patch, ...(event.data.type === "user.created" ? { events: [signedUp("clerk")] } : {}) } };
}

/** The `clerk` source: Standard Webhooks signatures, Clerk's user events mapped to Fullstory users. */
export const clerkSource: Source<ClerkEvent> = {
  name: "clerk",
  verify: verifyStandardWebhook,
  parse,
  normalise,
};
