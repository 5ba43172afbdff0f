import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import { workosSource } from "../../functions/sources/workos";
import type { Mapped, Normalised, Verified } from "../../functions/sources/types";
import { EVENT_AT, EXTERNAL_ID, USER_ID, workosEvent, workosSession, workosUser } from "../support/workos-events";

const VERIFIED: Verified = { timestamp: 1_738_368_000 };
const byId: Config = loadConfig({});
const byExternalId: Config = loadConfig({ WORKOS_UID_FIELD: "external_id" });
const AT = Date.parse(EVENT_AT);

function parseEvent(body: unknown) {
  const parsed = workosSource.parse(body, VERIFIED);
  if (parsed.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
}

const normalise = (body: unknown, config: Config = byId): Normalised => workosSource.normalise(parseEvent(body), config);

function mappedOf(body: unknown, config: Config = byId): Mapped {
  const result = normalise(body, config);
  if (result.kind !== "mapped") throw new Error(`expected a mapping, got ${JSON.stringify(result)}`);
  return result.mapped;
}

describe("WorkOS events", () => {
  it("takes WorkOS's event id and created_at, and cannot tell staging from production", () => {
    const event = parseEvent(workosEvent("user.created", workosUser()));
    expect(event).toMatchObject({ id: "event_01JAB7Q7ZK4QJWPZ2M5YF8RP0S", type: "user.created", occurredAt: EVENT_AT });
    expect(event.livemode).toBeUndefined();
  });

  it("turns user.created into Clerk's signup properties, with the email and full name", () => {
    expect(mappedOf(workosEvent("user.created", workosUser()))).toEqual({
      uid: USER_ID,
      subject: USER_ID,
      order: { key: `user:${USER_ID}`, at: AT },
      patch: {
        email: "marcelina.davis@example.com",
        display_name: "Marcelina Davis",
        properties: { signed_up_at: "2025-01-01T12:00:00.000Z", last_sign_in_at: "2025-01-31T19:07:33.155Z", email_verified: true },
        schema: { properties: { signed_up_at: "date", last_sign_in_at: "date", email_verified: "bool" } },
      },
      events: [{ name: "Signed Up", properties: { signup_source: ["str", "workos"] } }],
    });
  });

  it("turns user.updated of a user who never signed in and has no name into signed_up_at and email_verified only", () => {
    const patch = mappedOf(workosEvent("user.updated", workosUser({ first_name: null, last_name: "  ", last_sign_in_at: null, email_verified: false }))).patch;
    expect(patch).toEqual({
      email: "marcelina.davis@example.com",
      properties: { signed_up_at: "2025-01-01T12:00:00.000Z", email_verified: false },
      schema: { properties: { signed_up_at: "date", email_verified: "bool" } },
    });
  });

  it("marks the account deleted on user.deleted", () => {
    expect(mappedOf(workosEvent("user.deleted", workosUser()))).toEqual({
      uid: USER_ID,
      subject: USER_ID,
      order: { key: `user:${USER_ID}`, at: AT },
      patch: { properties: { account_deleted: true }, schema: { properties: { account_deleted: "bool" } } },
      events: [{ name: "Account Deleted", properties: {} }],
    });
  });

  it("turns session.created into last_sign_in_at, ordered apart from the user's other properties", () => {
    expect(mappedOf(workosEvent("session.created", workosSession()))).toEqual({
      uid: USER_ID,
      subject: USER_ID,
      order: { key: `session:${USER_ID}`, at: AT },
      patch: { properties: { last_sign_in_at: "2025-02-01T09:30:00.000Z" }, schema: { properties: { last_sign_in_at: "date" } } },
    });
  });

  it("ignores a session someone of the team started by impersonating the user", () => {
    const body = workosEvent("session.created", workosSession({ impersonator: { email: "support@example.com", reason: "debugging" } }));
    expect(normalise(body)).toEqual({ kind: "ignored", reason: "impersonated_session" });
  });

  it("ignores event types it does not map, whatever their data", () => {
    for (const type of ["session.revoked", "organization.created", "dsync.user.created", "authentication.password_succeeded"]) {
      expect(workosSource.parse(workosEvent(type, { id: 42 }), VERIFIED)).toEqual({ kind: "ignored", reason: "unmapped_event_type" });
    }
  });

  it("reports the body's paths of a malformed user, never the values", () => {
    const parsed = workosSource.parse(workosEvent("user.updated", workosUser({ email_verified: "marcelina.davis@example.com", created_at: 1_718_000_000 })), VERIFIED);
    expect(parsed).toEqual({ kind: "invalid", issues: ["data.email_verified", "data.created_at"] });
    expect(JSON.stringify(parsed)).not.toContain("marcelina");
  });

  it("reports a body that is not a WorkOS event", () => {
    expect(workosSource.parse({ event: "user.created" }, VERIFIED)).toEqual({ kind: "invalid", issues: ["id", "data", "created_at"] });
  });
});

describe("WorkOS uid by external_id", () => {
  it("takes the external_id as the uid and WorkOS's user id as the subject, so the identity directory learns one from the other", () => {
    expect(mappedOf(workosEvent("user.updated", workosUser()), byExternalId)).toMatchObject({ uid: EXTERNAL_ID, subject: USER_ID, order: { key: `user:${USER_ID}` } });
  });

  it("leaves a deletion without external_id and every session to the identity directory, by WorkOS's user id", () => {
    const deleted = mappedOf(workosEvent("user.deleted", { object: "user", id: USER_ID }), byExternalId);
    const session = mappedOf(workosEvent("session.created", workosSession()), byExternalId);
    for (const mapped of [deleted, session]) {
      expect(mapped.uid).toBeUndefined();
      expect(mapped.subject).toBe(USER_ID);
    }
  });

  it("names no uid for a user without external_id, leaving it to the directory", () => {
    const mapped = mappedOf(workosEvent("user.created", workosUser({ external_id: null })), byExternalId);
    expect(mapped.uid).toBeUndefined();
    expect(mapped.subject).toBe(USER_ID);
  });
});
