import { randomBytes } from "node:crypto";
import type { SampleOptions } from "./sample-events";

/**
 * WorkOS samples for `npm run send`: `{object, id, event, data, created_at}` around a User or a
 * Session, as WorkOS documents them. The user's WorkOS id is the sample's uid (the default
 * WORKOS_UID_FIELD=id). https://workos.com/docs/events
 */

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ulid = (prefix: string) => `${prefix}_01${randomBytes(20).toString("hex").toUpperCase().replace(/[ILOU]/g, "X").slice(0, 24)}`;

function user(id: string, ms: number): Json {
  return {
    object: "user",
    id,
    email: "ada@example.com",
    first_name: "Ada",
    last_name: "Lovelace",
    email_verified: true,
    profile_picture_url: null,
    last_sign_in_at: iso(ms - 3_600_000),
    external_id: null,
    metadata: {},
    locale: "en-GB",
    created_at: iso(ms - 30 * DAY),
    updated_at: iso(ms),
  };
}

function session(userId: string, ms: number): Json {
  return {
    object: "session",
    id: ulid("session"),
    user_id: userId,
    organization_id: "org_01EHZNVPK3SFK441A1RGBFSHRT",
    status: "active",
    auth_method: "password",
    ip_address: "192.0.2.1",
    user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    expires_at: iso(ms + 7 * DAY),
    ended_at: null,
    created_at: iso(ms),
    updated_at: iso(ms),
  };
}

const SAMPLES: Record<string, (userId: string, ms: number) => Json> = {
  "user.created": user,
  "user.updated": user,
  "user.deleted": user,
  "session.created": session,
};

/** The WorkOS event types `npm run send` has samples of. */
export const WORKOS_SAMPLE_TYPES = Object.keys(SAMPLES);

/** A WorkOS webhook body for `type` about the user `options.uid`, or undefined when there is no sample of it. */
export function workosSample(type: string, o: SampleOptions & { uid: string }): Json | undefined {
  const build = SAMPLES[type];
  const ms = o.now * 1000;
  return build ? { object: "event", id: ulid("event"), event: type, data: build(o.uid, ms), created_at: iso(ms) } : undefined;
}
