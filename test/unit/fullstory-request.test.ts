import { describe, expect, it } from "vitest";
import { buildUpsertRequest } from "../../functions/fullstory/request";
import { idempotencyKey } from "../../functions/message";

const upsert = {
  uid: "user_1",
  email: "ada@example.com",
  properties: { plan: "pro", mrr: 49.5 },
  schema: { properties: { mrr: "real" as const } },
};

describe("buildUpsertRequest", () => {
  it("posts the upsert to /v2/users on the API origin with Fullstory's headers", () => {
    const req = buildUpsertRequest({ apiUrl: "https://api.fullstory.com", apiKey: "na1.secret/key+", upsert, source: "stripe", eventId: "evt_1" });
    expect(req.origin).toBe("https://api.fullstory.com");
    expect(req.path).toBe("/v2/users");
    expect(req.method).toBe("POST");
    expect(req.headers).toEqual({
      authorization: "Basic na1.secret/key+",
      "content-type": "application/json",
      "idempotency-key": idempotencyKey("stripe", "evt_1", "user_1", JSON.stringify(upsert)),
      "integration-source": "fullstory-webhook-bridge",
    });
    expect(JSON.parse(req.body)).toEqual(upsert);
  });

  it("keeps a base URL's path prefix and port (a proxy or a fake)", () => {
    const req = buildUpsertRequest({ apiUrl: "http://127.0.0.1:8080/fs/", apiKey: "k", upsert, source: "stripe", eventId: "evt_1" });
    expect(req.origin).toBe("http://127.0.0.1:8080");
    expect(req.path).toBe("/fs/v2/users");
  });

  it("builds the same request for every retry of one event", () => {
    const build = () => buildUpsertRequest({ apiUrl: "https://api.fullstory.com", apiKey: "k", upsert, source: "stripe", eventId: "evt_9" });
    expect(build()).toEqual(build());
  });

  it("gives a changed body of the same event a new Idempotency-Key", () => {
    const key = (properties: Record<string, string>) =>
      buildUpsertRequest({ apiUrl: "https://api.fullstory.com", apiKey: "k", upsert: { ...upsert, properties }, source: "stripe", eventId: "evt_9" }).headers["idempotency-key"];
    expect(key({ plan: "pro" })).toBe(key({ plan: "pro" }));
    expect(key({ plan: "team" })).not.toBe(key({ plan: "pro" }));
  });
});
