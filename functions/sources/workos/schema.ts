import * as z from "zod";
import { IsoDateTime } from "../iso-datetime";

/**
 * The parts of WorkOS's webhook events the mapping reads: `{id, event, data, created_at}`, whose
 * `data` is the User (`user.*`) or the Session (`session.created`), in the API's snake_case.
 * Unknown fields are accepted and dropped; the verified body travels on unchanged as `raw`.
 * https://workos.com/docs/events
 */

/** https://workos.com/docs/reference/authkit/user */
export const UserSchema = z.object({
  id: z.string().min(1),
  email: z.string(),
  email_verified: z.boolean(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  last_sign_in_at: IsoDateTime.nullish(),
  external_id: z.string().nullish(),
  created_at: IsoDateTime,
});
export type User = z.infer<typeof UserSchema>;

/** `user.deleted` carries the user as it was; only its ids are read, so a bare one is accepted too. */
export const DeletedUserSchema = z.object({ id: z.string().min(1), external_id: z.string().nullish() });

/**
 * https://workos.com/docs/reference/authkit/session. `impersonator` is set when someone of the team
 * signed in as the user from the WorkOS dashboard.
 */
export const SessionSchema = z.object({
  id: z.string().min(1),
  user_id: z.string().min(1),
  impersonator: z.record(z.string(), z.unknown()).nullish(),
  created_at: IsoDateTime,
});

/** The mapped event types, each with the schema of its `data`. */
export const EVENTS = {
  "user.created": UserSchema,
  "user.updated": UserSchema,
  "user.deleted": DeletedUserSchema,
  "session.created": SessionSchema,
} as const;
export type WorkosEventType = keyof typeof EVENTS;

export const EnvelopeSchema = z.object({ id: z.string().min(1), event: z.string().min(1), data: z.unknown(), created_at: IsoDateTime });

/** A mapped event: `type` narrows `data` to the object the event carries. */
export type WorkosData = { [T in WorkosEventType]: { type: T; data: z.infer<(typeof EVENTS)[T]> } }[WorkosEventType];
