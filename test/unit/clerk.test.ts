import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import type { Upsert } from "../../functions/upsert";
import { clerkSource } from "../../functions/sources/clerk";
import type { Normalised, Verified } from "../../functions/sources/types";
import {
  OTHER_EMAIL_ID,
  PRIMARY_EMAIL_ID,
  USER_ID,
  clerkDeletedUser,
  clerkEmailAddress,
  clerkEvent,
  clerkUser,
} from "../support/clerk-events";

const VERIFIED: Verified = { id: "msg_2clerkDelivery", timestamp: 1_718_000_100 };
const byId: Config = loadConfig({});
const byExternalId: Config = { ...byId, clerkUidField: "external_id" };

function parseEvent(body: unknown, verified: Verified = VERIFIED) {
  const parsed = clerkSource.parse(body, verified);
  if (parsed.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
}

const normalise = (body: unknown, config: Config = byId): Normalised => clerkSource.normalise(parseEvent(body), config);

/** The upsert a mapping makes (uid and patch), when it names both. */
function upsertOf(result: Normalised): Upsert {
  if (result.kind !== "mapped" || result.mapped.uid === undefined || result.mapped.patch === null) throw new Error(`expected an upsert, got ${JSON.stringify(result)}`);
  return { uid: result.mapped.uid, ...result.mapped.patch };
}

describe("clerk source", () => {
  it("verifies a request signed by the official library with Clerk's svix-* headers", () => {
    const secret = `whsec_${randomBytes(24).toString("base64")}`;
    const payload = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const sentAt = new Date(1_718_000_100_000);
    const headers = {
      "svix-id": "msg_2clerkDelivery",
      "svix-timestamp": String(sentAt.getTime() / 1000),
      "svix-signature": new Webhook(secret).sign("msg_2clerkDelivery", sentAt, payload),
    };
    expect(clerkSource.verify({ payload, headers, secrets: [secret], now: sentAt.getTime() })).toEqual(VERIFIED);
  });

  it("takes the event id from the webhook-id header and the time from the body's millisecond timestamp", () => {
    const event = parseEvent(clerkEvent("user.created", clerkUser(), { timestamp: 1_718_000_000_500 }));
    expect(event).toMatchObject({ id: "msg_2clerkDelivery", type: "user.created", occurredAt: "2024-06-10T06:13:20.500Z" });
  });

  it("falls back to the signed timestamp when the body has none", () => {
    const body = clerkEvent("user.created", clerkUser());
    delete body.timestamp;
    expect(parseEvent(body).occurredAt).toBe("2024-06-10T06:15:00.000Z");
  });

  it("turns user.created into an upsert by Clerk user id with the primary email, full name and signup date", () => {
    expect(upsertOf(normalise(clerkEvent("user.created", clerkUser())))).toEqual({
      uid: USER_ID,
      email: "ada@example.com",
      display_name: "Ada Lovelace",
      properties: { signed_up_at: "2024-06-10T06:13:20.000Z", email_verified: true },
      schema: { properties: { signed_up_at: "date", email_verified: "bool" } },
    });
  });

  it("turns user.updated into an upsert by external_id when configured, with the last sign-in and username fallback", () => {
    const user = clerkUser({
      external_id: "acct-42",
      first_name: null,
      last_name: "  ",
      username: "ada",
      last_sign_in_at: 1_718_500_000_000,
      primary_email_address_id: OTHER_EMAIL_ID,
    });
    expect(upsertOf(normalise(clerkEvent("user.updated", user), byExternalId))).toEqual({
      uid: "acct-42",
      email: "ada.old@example.com",
      display_name: "ada",
      properties: { signed_up_at: "2024-06-10T06:13:20.000Z", email_verified: false, last_sign_in_at: "2024-06-16T01:06:40.000Z" },
      schema: { properties: { signed_up_at: "date", email_verified: "bool", last_sign_in_at: "date" } },
    });
  });

  it("omits email and display_name when the user has no primary email, name or username", () => {
    const user = clerkUser({ primary_email_address_id: null, first_name: null, last_name: null, username: null });
    expect(upsertOf(normalise(clerkEvent("user.updated", user)))).toEqual({
      uid: USER_ID,
      properties: { signed_up_at: "2024-06-10T06:13:20.000Z", email_verified: false },
      schema: { properties: { signed_up_at: "date", email_verified: "bool" } },
    });
  });

  it("drops an email longer than Fullstory's 128 characters but keeps the user", () => {
    const long = `${"a".repeat(120)}@example.com`;
    const user = clerkUser({ email_addresses: [clerkEmailAddress(PRIMARY_EMAIL_ID, long)] });
    const result = upsertOf(normalise(clerkEvent("user.created", user)));
    expect(result).toMatchObject({ uid: USER_ID, display_name: "Ada Lovelace" });
    expect("email" in result).toBe(false);
  });

  it("marks the account deleted on user.deleted", () => {
    expect(upsertOf(normalise(clerkEvent("user.deleted", clerkDeletedUser())))).toEqual({
      uid: USER_ID,
      properties: { account_deleted: true },
      schema: { properties: { account_deleted: "bool" } },
    });
  });

  it("names no uid when external_id is configured but not in the payload, leaving the Clerk user id to the identity directory", () => {
    for (const event of [clerkEvent("user.updated", clerkUser({ external_id: null })), clerkEvent("user.deleted", clerkDeletedUser())]) {
      const result = normalise(event, byExternalId);
      expect(result.kind === "mapped" && result.mapped.uid).toBeUndefined();
      expect(result).toMatchObject({ kind: "mapped", mapped: { subject: USER_ID } });
    }
  });

  it("teaches the directory Clerk's user id behind an external_id, and orders each user's events by their time", () => {
    const result = normalise(clerkEvent("user.updated", clerkUser({ external_id: "acct-42" })), byExternalId);
    expect(result).toMatchObject({ kind: "mapped", mapped: { uid: "acct-42", subject: USER_ID, order: { key: `user:${USER_ID}` } } });
  });

  it("ignores event types it does not map, whatever their data", () => {
    const parsed = clerkSource.parse(clerkEvent("session.created", { id: "sess_1", user_id: 42 }), VERIFIED);
    expect(parsed).toEqual({ kind: "ignored", reason: "unmapped_event_type" });
  });

  it("reports the paths of a malformed user, never the values", () => {
    const user = clerkUser({
      created_at: "ada@example.com",
      email_addresses: [{ email_address: "ada@example.com", verification: { status: "verified" } }],
    });
    const parsed = clerkSource.parse(clerkEvent("user.created", user), VERIFIED);
    expect(parsed).toEqual({ kind: "invalid", issues: expect.arrayContaining(["data.created_at", "data.email_addresses.0.id"]) });
    expect(parsed.kind === "invalid" && parsed.issues).toHaveLength(2);
    expect(JSON.stringify(parsed)).not.toContain("ada@example.com");
  });

  it("reports a body that is not a Clerk event envelope", () => {
    expect(clerkSource.parse({ object: "user", data: {} }, VERIFIED)).toEqual({ kind: "invalid", issues: ["object", "type"] });
    expect(clerkSource.parse([1, 2], VERIFIED)).toEqual({ kind: "invalid", issues: ["$"] });
  });
});
