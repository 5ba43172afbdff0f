import type { Config } from "../../config";
import { bool, dateIso, firstUid, patchOf } from "../billing";
import type { LifecycleFact } from "../../lifecycle";
import { accountDeleted, signedUp, withEvents } from "../lifecycle";
import type { Mapped, Normalised, SourceEvent } from "../types";
import type { User, WorkosData } from "./schema";

/**
 * The families of properties WorkOS events write, each ordered per user. A session only writes
 * `last_sign_in_at`, so it has a family of its own: a `user.updated` created before a sign-in but
 * delivered after it still brings its name or email (WorkOS does not deliver in order:
 * https://workos.com/docs/events/data-syncing/webhooks).
 */
const FAMILY = { user: "user", session: "session" } as const;

/** First and last name; omitted when neither is set. */
function displayName(user: User): string | undefined {
  const full = [user.first_name, user.last_name]
    .map((part) => part?.trim() ?? "")
    .filter((part) => part.length > 0)
    .join(" ");
  return full || undefined;
}

/**
 * Turns a parsed WorkOS event into what it says of a Fullstory user, with Clerk's properties. The
 * uid is the user's `id`, or its `external_id` under WORKOS_UID_FIELD=external_id. The subject is
 * always WorkOS's user id: under `external_id` the identity directory learns id → external_id from
 * every user event, and so resolves a `user.deleted` or `session.created` that carries no
 * external_id. A sign-in by impersonation (someone of the team, from the WorkOS dashboard) is not
 * the user's: it is ignored. Lifecycle events: Signed Up (`signup_source` = `workos`) on
 * `user.created`, Account Deleted on `user.deleted`. Pure.
 */
export function normaliseWorkos(event: SourceEvent<WorkosData>, config: Config): Normalised {
  const at = Date.parse(event.occurredAt);
  const byExternalId = config.workosUidField === "external_id";
  const mapped = (userId: string, uid: string | null | undefined, family: string, patch: Mapped["patch"], events: LifecycleFact[] = []): Normalised => {
    const found = firstUid([uid]);
    return {
      kind: "mapped",
      mapped: { ...(found === undefined ? {} : { uid: found }), subject: userId, patch, order: { key: `${family}:${userId}`, at }, ...withEvents(events) },
    };
  };
  const { data } = event;
  switch (data.type) {
    case "session.created": {
      const session = data.data;
      if (session.impersonator) return { kind: "ignored", reason: "impersonated_session" };
      return mapped(session.user_id, byExternalId ? undefined : session.user_id, FAMILY.session, patchOf({ last_sign_in_at: dateIso(session.created_at) }));
    }
    case "user.deleted": {
      const user = data.data;
      return mapped(user.id, byExternalId ? user.external_id : user.id, FAMILY.user, patchOf({ account_deleted: bool(true) }), [accountDeleted()]);
    }
    default: {
      const user = data.data;
      const patch = patchOf(
        { signed_up_at: dateIso(user.created_at), last_sign_in_at: dateIso(user.last_sign_in_at), email_verified: bool(user.email_verified) },
        { email: user.email, name: displayName(user) },
      );
      // Signed Up once, on the user's creation (as for Clerk): a user.updated is not a signup.
      const events = data.type === "user.created" ? [signedUp("workos")] : [];
      return mapped(user.id, byExternalId ? user.external_id : user.id, FAMILY.user, patch, events);
    }
  }
}
