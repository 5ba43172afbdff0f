import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { standardSource } from "../../functions/sources/standard";
import type { Verified } from "../../functions/sources/types";

const VERIFIED: Verified = { id: "msg_2backendSignup", timestamp: 1_718_000_100 };
// Marks every value that breaks a limit, so a test can tell that no issue echoes it back.
const MARK = "PRIVATE";

const upsert = {
  uid: "user_42",
  email: "ada@example.com",
  display_name: "Ada Lovelace",
  properties: { plan: "pro", seats: 3, address: { city: "London" } },
  schema: { properties: { plan: "str", seats: "int" } },
};

const withProperties = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, i]));

describe("standard source", () => {
  it("verifies a request signed by the official standardwebhooks library", () => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const payload = JSON.stringify(upsert);
    const sentAt = new Date(VERIFIED.timestamp * 1000);
    const headers = {
      "webhook-id": VERIFIED.id,
      "webhook-timestamp": String(VERIFIED.timestamp),
      "webhook-signature": new Webhook(secret).sign(VERIFIED.id as string, sentAt, payload),
    };
    expect(standardSource.verify({ payload, headers, secrets: [secret], now: sentAt.getTime() })).toEqual(VERIFIED);
  });

  it("passes a canonical upsert through unchanged, with the webhook-id as event id and the signed time", () => {
    const parsed = standardSource.parse(structuredClone(upsert), VERIFIED);
    expect(parsed).toEqual({
      kind: "event",
      event: { id: "msg_2backendSignup", type: "upsert", occurredAt: "2024-06-10T06:15:00.000Z", data: upsert },
    });
    if (parsed.kind !== "event") return;
    const { uid, ...patch } = upsert;
    expect(standardSource.normalise(parsed.event, loadConfig({}))).toEqual({ kind: "mapped", mapped: { uid, patch } });
  });

  it("defaults missing properties to none", () => {
    const parsed = standardSource.parse({ uid: "user_42" }, VERIFIED);
    expect(parsed.kind === "event" && parsed.event.data).toEqual({ uid: "user_42", properties: {} });
  });

  it("accepts values exactly at Fullstory's limits", () => {
    const body = {
      uid: "u".repeat(256),
      email: `${"e".repeat(116)}@example.com`,
      display_name: "d".repeat(256),
      properties: { ...withProperties(499), notes: "n".repeat(8190) },
    };
    expect(standardSource.parse(body, VERIFIED).kind).toBe("event");
  });

  it.each([
    ["an empty uid", { uid: "" }, "uid"],
    ["a uid over 256 characters", { uid: MARK.repeat(40) }, "uid"],
    ["an email over 128 characters", { email: `${MARK.repeat(20)}@example.com` }, "email"],
    ["a display_name over 256 characters", { display_name: MARK.repeat(40) }, "display_name"],
    ["a property name Fullstory refuses", { properties: { "plan-name": MARK } }, "properties.plan-name"],
    ["a nested property name Fullstory refuses", { properties: { address: { "1st_line": MARK } } }, "properties.address.1st_line"],
    ["more than 500 properties", { properties: withProperties(501) }, "properties"],
    ["a value over 8192 bytes", { properties: { notes: MARK.repeat(1200) } }, "properties.notes"],
    ["an undeclared property type", { schema: { properties: { plan: MARK } } }, "schema.properties.plan"],
    ["an unknown top-level field", { displayName: MARK }, "displayName"],
    ["a uid that is not a string", { uid: 42 }, "uid"],
  ])("refuses %s, naming the field path and not its value", (_label, change, path) => {
    const parsed = standardSource.parse({ ...upsert, ...change }, VERIFIED);
    expect(parsed).toEqual({ kind: "invalid", issues: [path] });
    expect(JSON.stringify(parsed)).not.toContain(MARK);
  });

  it("refuses a body that is not an object", () => {
    expect(standardSource.parse([upsert], VERIFIED)).toEqual({ kind: "invalid", issues: ["$"] });
  });
});
