import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { BridgeError } from "../../functions/errors";

describe("loadConfig", () => {
  it("applies the documented defaults to an empty environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      live: false,
      maxBodyBytes: 128 * 1024,
      fullstory: { apiUrl: "https://api.fullstory.com", apiKey: undefined, apiKeyParameter: undefined, region: undefined },
      secrets: {},
      stripeUidMetadataKeys: ["fullstory_uid", "user_id"],
      clerkUidField: "id",
      paddleUidCustomDataKeys: ["fullstory_uid", "user_id"],
      chargebeeUidField: { kind: "id" },
      parameterTtlMs: 300_000,
      dataDir: ".bridge",
      host: "127.0.0.1",
      port: 8787,
    });
  });

  it("splits comma-separated secrets and uid keys, trimming blanks", () => {
    const config = loadConfig({
      STRIPE_WEBHOOK_SECRET: "whsec_a, whsec_b,,",
      CLERK_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/clerk-webhook-secret",
      STRIPE_UID_METADATA_KEYS: "app_user, fullstory_uid",
    });
    expect(config.secrets.stripe).toEqual({ kind: "values", values: ["whsec_a", "whsec_b"] });
    expect(config.secrets.clerk).toEqual({ kind: "parameter", name: "/fullstory-bridge/dev/clerk-webhook-secret" });
    expect(config.secrets.standard).toBeUndefined();
    expect(config.stripeUidMetadataKeys).toEqual(["app_user", "fullstory_uid"]);
  });

  it("reads the Paddle and Chargebee secrets and uid settings, and names the variable when one is malformed", () => {
    const config = loadConfig({
      PADDLE_WEBHOOK_SECRET: "pdl_ntfset_new, pdl_ntfset_old",
      CHARGEBEE_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/chargebee-webhook-secret",
      PADDLE_UID_CUSTOM_DATA_KEYS: "app_user ,fullstory_uid",
      CHARGEBEE_UID_FIELD: "meta_data.app_user",
    });
    expect(config.secrets.paddle).toEqual({ kind: "values", values: ["pdl_ntfset_new", "pdl_ntfset_old"] });
    expect(config.secrets.chargebee).toEqual({ kind: "parameter", name: "/fullstory-bridge/dev/chargebee-webhook-secret" });
    expect(config.paddleUidCustomDataKeys).toEqual(["app_user", "fullstory_uid"]);
    expect(config.chargebeeUidField).toEqual({ kind: "meta_data", key: "app_user" });
    expect(() => loadConfig({ CHARGEBEE_UID_FIELD: "email" })).toThrow(/CHARGEBEE_UID_FIELD: must be `id` or `meta_data.<key>`/);
    expect(() => loadConfig({ CHARGEBEE_UID_FIELD: "meta_data." })).toThrow(/CHARGEBEE_UID_FIELD/);
    expect(() => loadConfig({ PADDLE_WEBHOOK_SECRET: "a", PADDLE_WEBHOOK_SECRET_PARAMETER: "/p" })).toThrow(/PADDLE_WEBHOOK_SECRET or PADDLE_WEBHOOK_SECRET_PARAMETER/);
  });

  it("reads the Lemon Squeezy, Polar and WorkOS secrets and uid settings, with their defaults", () => {
    expect(loadConfig({})).toMatchObject({
      lemonsqueezyUidCustomDataKeys: ["fullstory_uid", "user_id"],
      polarUidMetadataKeys: ["fullstory_uid", "user_id"],
      workosUidField: "id",
    });
    const config = loadConfig({
      LEMONSQUEEZY_WEBHOOK_SECRET: "lemon-old, lemon-new",
      POLAR_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/polar-webhook-secret",
      WORKOS_WEBHOOK_SECRET: "workos-secret",
      LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS: "app_user, fullstory_uid",
      POLAR_UID_METADATA_KEYS: "account",
      WORKOS_UID_FIELD: "external_id",
    });
    expect(config.secrets).toEqual({
      lemonsqueezy: { kind: "values", values: ["lemon-old", "lemon-new"] },
      polar: { kind: "parameter", name: "/fullstory-bridge/dev/polar-webhook-secret" },
      workos: { kind: "values", values: ["workos-secret"] },
    });
    expect(config).toMatchObject({ lemonsqueezyUidCustomDataKeys: ["app_user", "fullstory_uid"], polarUidMetadataKeys: ["account"], workosUidField: "external_id" });
  });

  it("reads BRIDGE_LIVE, the region pin and a base URL without its trailing slash", () => {
    const config = loadConfig({ BRIDGE_LIVE: "true", FULLSTORY_REGION: "eu1", FULLSTORY_API_URL: "http://127.0.0.1:9999/" });
    expect(config.live).toBe(true);
    expect(config.fullstory.region).toBe("eu1");
    expect(config.fullstory.apiUrl).toBe("http://127.0.0.1:9999");
  });

  it.each([
    [{ FULLSTORY_REGION: "us2" }, "FULLSTORY_REGION"],
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ BRIDGE_LIVE: "yes" }, "BRIDGE_LIVE"],
    [{ CLERK_UID_FIELD: "email" }, "CLERK_UID_FIELD"],
    [{ WORKOS_UID_FIELD: "email" }, "WORKOS_UID_FIELD"],
    [{ POLAR_WEBHOOK_SECRET: "a", POLAR_WEBHOOK_SECRET_PARAMETER: "/p" }, "POLAR_WEBHOOK_SECRET"],
    [{ FULLSTORY_API_URL: "not a url" }, "FULLSTORY_API_URL"],
    [{ STRIPE_WEBHOOK_SECRET: "a", STRIPE_WEBHOOK_SECRET_PARAMETER: "/p" }, "STRIPE_WEBHOOK_SECRET"],
    [{ FULLSTORY_API_KEY: "na1.k", FULLSTORY_API_KEY_PARAMETER: "/p" }, "FULLSTORY_API_KEY"],
  ])("refuses %j with an error naming %s", (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe("config_invalid");
    expect((error as BridgeError).message).toContain(variable);
  });
});
