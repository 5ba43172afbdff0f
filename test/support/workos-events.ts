/**
 * WorkOS webhook events for tests: `{id, event, data, created_at}` around a User or a Session, as
 * WorkOS documents them (https://workos.com/docs/events, https://workos.com/docs/reference/authkit/user,
 * https://workos.com/docs/reference/authkit/session). Values are made up; tests override what they check.
 */
type Json = Record<string, unknown>;

export const USER_ID = "user_01E4ZCR3C56J083X43JQXF3JK5";
export const EXTERNAL_ID = "f1ffa2b2-c20b-4d39-be5c-212726e11222";
/** 2025-02-01T00:00:00.000Z: the default event `created_at`. */
export const EVENT_AT = "2025-02-01T00:00:00.000Z";

/** A WorkOS User; `overrides` replace top-level fields. */
export function workosUser(overrides: Json = {}): Json {
  return {
    object: "user",
    id: USER_ID,
    email: "marcelina.davis@example.com",
    first_name: "Marcelina",
    last_name: "Davis",
    email_verified: true,
    profile_picture_url: "https://workoscdn.com/images/v1/123abc",
    last_sign_in_at: "2025-01-31T19:07:33.155Z",
    external_id: EXTERNAL_ID,
    metadata: {},
    locale: null,
    created_at: "2025-01-01T12:00:00.000Z",
    updated_at: "2025-01-31T19:07:33.155Z",
    ...overrides,
  };
}

/** A WorkOS Session of the user, by password; `overrides` replace top-level fields. */
export function workosSession(overrides: Json = {}): Json {
  return {
    object: "session",
    id: "session_01H93ZY4F80QPBEZ1R5B2SHQG8",
    user_id: USER_ID,
    organization_id: "org_01EHZNVPK3SFK441A1RGBFSHRT",
    status: "active",
    auth_method: "password",
    ip_address: "192.0.2.1",
    user_agent: "Mozilla/5.0",
    expires_at: "2025-02-08T00:00:00.000Z",
    ended_at: null,
    created_at: "2025-02-01T09:30:00.000Z",
    updated_at: "2025-02-01T09:30:00.000Z",
    ...overrides,
  };
}

/** The event WorkOS posts; `envelope` replaces top-level fields (`id`, `created_at`). */
export function workosEvent(event: string, data: Json, envelope: Json = {}): Json {
  return { object: "event", id: "event_01JAB7Q7ZK4QJWPZ2M5YF8RP0S", event, data, created_at: EVENT_AT, ...envelope };
}
