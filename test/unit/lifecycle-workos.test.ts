import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { buildMessage } from "../../functions/message-build";
import { workosSource } from "../../functions/sources/workos";
import { EVENT_AT, USER_ID, workosEvent, workosSession, workosUser } from "../support/workos-events";

const ON = loadConfig({ FULLSTORY_EVENTS: "true" });

/** The lifecycle events ingest would queue for a WorkOS body. */
function eventsOf(body: Record<string, unknown>) {
  const parsed = workosSource.parse(body, { timestamp: Date.parse(EVENT_AT) / 1000 });
  if (parsed.kind !== "event") throw new Error(`not an event: ${JSON.stringify(parsed)}`);
  const built = buildMessage(workosSource, parsed.event, ON, JSON.stringify(body), EVENT_AT);
  if (built.kind !== "message") throw new Error(`not a message: ${JSON.stringify(built)}`);
  return built.message.events ?? [];
}

describe("WorkOS lifecycle events", () => {
  it("Signed Up on user.created, with signup_source workos, stamped with the event's time", () => {
    expect(eventsOf(workosEvent("user.created", workosUser()))).toEqual([
      { name: "Signed Up", timestamp: EVENT_AT, properties: { signup_source: "workos" }, schema: { properties: { signup_source: "str" } } },
    ]);
  });

  it("Account Deleted on user.deleted, with no properties", () => {
    expect(eventsOf(workosEvent("user.deleted", { object: "user", id: USER_ID }))).toEqual([
      { name: "Account Deleted", timestamp: EVENT_AT, properties: {}, schema: { properties: {} } },
    ]);
  });

  it("none for a user.updated or a sign-in (session.created)", () => {
    expect(eventsOf(workosEvent("user.updated", workosUser({ first_name: "Marcy" })))).toEqual([]);
    expect(eventsOf(workosEvent("session.created", workosSession()))).toEqual([]);
  });
});
