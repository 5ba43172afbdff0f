import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { deliverEnvironment, ingestEnvironment, isProductionStage, stageSettings } from "../../stacks/settings";

describe("stage settings", () => {
  it("gives a development stage every source, the stage's parameter names and no live mode", () => {
    const s = stageSettings("dev");
    expect(s.production).toBe(false);
    expect(s.live).toBe(false);
    expect(s.sources).toEqual(["stripe", "clerk", "standard", "paddle", "chargebee", "lemonsqueezy", "polar", "workos"]);
    expect(s.parameters).toEqual({
      fullstoryApiKey: "/fullstory-bridge/dev/fullstory-api-key",
      clerkSecretKey: "/fullstory-bridge/dev/clerk-secret-key",
      secrets: [
        { source: "stripe", name: "/fullstory-bridge/dev/stripe-webhook-secret" },
        { source: "clerk", name: "/fullstory-bridge/dev/clerk-webhook-secret" },
        { source: "standard", name: "/fullstory-bridge/dev/standard-webhook-secret" },
        { source: "paddle", name: "/fullstory-bridge/dev/paddle-webhook-secret" },
        { source: "chargebee", name: "/fullstory-bridge/dev/chargebee-webhook-secret" },
        { source: "lemonsqueezy", name: "/fullstory-bridge/dev/lemonsqueezy-webhook-secret" },
        { source: "polar", name: "/fullstory-bridge/dev/polar-webhook-secret" },
        { source: "workos", name: "/fullstory-bridge/dev/workos-webhook-secret" },
      ],
    });
    expect(s.parameterKmsKey).toBe("alias/aws/ssm");
    expect(s.region).toBeUndefined();
  });

  it("names Clerk's secret key for the backfill, under the stage's prefix or an override, and gives it to neither function", () => {
    expect(stageSettings("prod", { parameters: { clerkSecretKey: "/shared/clerk-secret-key" } }).parameters.clerkSecretKey).toBe("/shared/clerk-secret-key");
    // Only `npm run backfill -- clerk --stage` reads it, with the operator's credentials: the
    // stacks test checks that no function's policy names it.
    const s = stageSettings("dev", { stripeApi: true });
    const environments = JSON.stringify([ingestEnvironment(s), deliverEnvironment(s)]);
    expect(environments).not.toContain("clerk-secret-key");
    expect(environments).not.toContain("CLERK_SECRET_KEY");
  });

  it("treats production and prod, and only those, as production stages that are live by default", () => {
    for (const stage of ["production", "prod"]) {
      expect(isProductionStage(stage)).toBe(true);
      expect(stageSettings(stage)).toMatchObject({ production: true, live: true });
    }
    for (const stage of ["staging", "dev", "production-eu", "Prod"]) {
      expect(stageSettings(stage)).toMatchObject({ production: false, live: false });
    }
  });

  it("lets a stage override live mode either way", () => {
    expect(stageSettings("staging", { live: true }).live).toBe(true);
    expect(stageSettings("production", { live: false }).live).toBe(false);
  });

  it("serves only the configured sources, in canonical order, with their own parameter names", () => {
    const s = stageSettings("eu", { sources: ["standard", "stripe"], parameters: { stripe: "/shared/stripe-secret" } });
    expect(s.sources).toEqual(["stripe", "standard"]);
    expect(s.parameters.secrets).toEqual([
      { source: "stripe", name: "/shared/stripe-secret" },
      { source: "standard", name: "/fullstory-bridge/eu/standard-webhook-secret" },
    ]);
  });

  it("keeps the queue visibility timeout at six times the deliver timeout and the retry window at 15 minutes or more", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 900 }), fc.integer({ min: 0, max: 20 }), (timeout, extra) => {
        const maxReceiveCount = Math.max(5, Math.ceil(900 / (6 * timeout))) + extra;
        const s = stageSettings("dev", { deliverTimeoutSeconds: timeout, maxReceiveCount });
        expect(s.visibilityTimeoutSeconds).toBe(6 * timeout);
        expect(s.maxReceiveCount * s.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(900);
      }),
    );
    expect(stageSettings("dev")).toMatchObject({ deliverTimeoutSeconds: 30, visibilityTimeoutSeconds: 180, maxReceiveCount: 5 });
  });

  it("refuses a retry window under 15 minutes and says which maxReceiveCount would do", () => {
    expect(() => stageSettings("dev", { deliverTimeoutSeconds: 10 })).toThrow(/raise maxReceiveCount to 15/);
    expect(stageSettings("dev", { deliverTimeoutSeconds: 10, maxReceiveCount: 15 }).visibilityTimeoutSeconds).toBe(60);
  });

  it("refuses fewer than 5 receives before the dead-letter queue, even when the retry window is long enough", () => {
    expect(() => stageSettings("dev", { deliverTimeoutSeconds: 900, maxReceiveCount: 4 })).toThrow(/Stage "dev".*maxReceiveCount: Too small/);
    expect(stageSettings("dev", { deliverTimeoutSeconds: 900, maxReceiveCount: 5 }).maxReceiveCount).toBe(5);
  });

  it("refuses malformed overrides, naming the stage and the key", () => {
    expect(() => stageSettings("dev", { region: "ap1" })).toThrow(/region/);
    expect(() => stageSettings("dev", { sources: [] })).toThrow(/sources/);
    expect(() => stageSettings("dev", { regoin: "eu1" })).toThrow(/regoin/);
    expect(() => stageSettings("dev", { parameters: { stripe: "stripe-secret" } })).toThrow(/parameters\.stripe/);
    expect(() => stageSettings("dev", { apiUrl: "http://api.fullstory.com" })).toThrow(/apiUrl/);
    expect(() => stageSettings("dev", { stripeUidMetadataKeys: ["a,b"] })).toThrow(/stripeUidMetadataKeys/);
    expect(() => stageSettings("dev", { alarmTopicArns: ["arn:aws:sqs:eu-west-1:123456789012:q"] })).toThrow(/alarmTopicArns/);
    expect(() => stageSettings("dev/x")).toThrow(/stage name/);
  });
});

describe("function environments", () => {
  const urls = { BRIDGE_QUEUE_URL: "https://sqs.example/q.fifo", BRIDGE_DEAD_LETTER_QUEUE_URL: "https://sqs.example/dlq.fifo" };

  it("are read back by the functions' config as the stage's settings", () => {
    const s = stageSettings("production", {
      region: "eu1",
      apiUrl: "https://api.eu1.fullstory.com",
      sources: ["stripe", "clerk"],
      stripeUidMetadataKeys: ["app_user"],
      clerkUidField: "external_id",
      parameterTtlSeconds: 60,
    });
    const ingest = loadConfig({ ...ingestEnvironment(s), ...urls });
    expect(ingest.live).toBe(true);
    expect(ingest.secrets).toEqual({
      stripe: { kind: "parameter", name: "/fullstory-bridge/production/stripe-webhook-secret" },
      clerk: { kind: "parameter", name: "/fullstory-bridge/production/clerk-webhook-secret" },
    });
    expect(ingest.stripeUidMetadataKeys).toEqual(["app_user"]);
    expect(ingest.clerkUidField).toBe("external_id");
    expect(ingest.parameterTtlMs).toBe(60_000);

    const deliver = loadConfig({ ...deliverEnvironment(s), ...urls });
    expect(deliver.fullstory).toEqual({
      apiKey: undefined,
      apiKeyParameter: "/fullstory-bridge/production/fullstory-api-key",
      apiUrl: "https://api.eu1.fullstory.com",
      region: "eu1",
    });
    expect(deliver.parameterTtlMs).toBe(60_000);
  });

  it("turn lifecycle events on, with their names, for both functions when a stage says so, and refuse an unknown name", () => {
    const s = stageSettings("staging", { events: true, eventNames: { "Trial Ending": false, "Payment Failed": "Billing Payment Failed" } });
    for (const env of [ingestEnvironment(s), deliverEnvironment(s)]) {
      const { events } = loadConfig({ ...env, ...urls });
      expect(events.enabled).toBe(true);
      expect(events.names).toMatchObject({ "Trial Ending": false, "Payment Failed": "Billing Payment Failed", "Signed Up": "Signed Up" });
    }
    expect(loadConfig({ ...ingestEnvironment(stageSettings("staging")), ...urls }).events.enabled).toBe(false);
    expect(() => stageSettings("staging", { eventNames: { "Payment Faild": "x" } })).toThrow(/eventNames/);
  });

  it("leave the uid and cache settings to the functions' defaults when a stage does not override them", () => {
    const s = stageSettings("dev");
    expect(ingestEnvironment(s)).toEqual({
      BRIDGE_STAGE: "dev",
      BRIDGE_LIVE: "false",
      STRIPE_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/stripe-webhook-secret",
      CLERK_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/clerk-webhook-secret",
      STANDARD_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/standard-webhook-secret",
      PADDLE_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/paddle-webhook-secret",
      CHARGEBEE_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/chargebee-webhook-secret",
      LEMONSQUEEZY_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/lemonsqueezy-webhook-secret",
      POLAR_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/polar-webhook-secret",
      WORKOS_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/dev/workos-webhook-secret",
    });
    expect(deliverEnvironment(s)).toEqual({ BRIDGE_STAGE: "dev", FULLSTORY_API_KEY_PARAMETER: "/fullstory-bridge/dev/fullstory-api-key" });
    const config = loadConfig({ ...ingestEnvironment(s), ...urls });
    expect(config.stripeUidMetadataKeys).toEqual(["fullstory_uid", "user_id"]);
    expect(config.paddleUidCustomDataKeys).toEqual(["fullstory_uid", "user_id"]);
    expect(config.chargebeeUidField).toEqual({ kind: "id" });
    expect(config.fullstory.apiUrl).toBe("https://api.fullstory.com");
  });

  it("hands a stage's Paddle and Chargebee uid settings to ingest, and refuses malformed ones naming the key", () => {
    const s = stageSettings("staging", {
      sources: ["paddle", "chargebee"],
      paddleUidCustomDataKeys: ["app_user", "fullstory_uid"],
      chargebeeUidField: "meta_data.app_user",
      parameters: { paddle: "/shared/paddle-secret" },
    });
    const env = ingestEnvironment(s);
    expect(env).toMatchObject({
      PADDLE_WEBHOOK_SECRET_PARAMETER: "/shared/paddle-secret",
      CHARGEBEE_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/staging/chargebee-webhook-secret",
      PADDLE_UID_CUSTOM_DATA_KEYS: "app_user,fullstory_uid",
      CHARGEBEE_UID_FIELD: "meta_data.app_user",
    });
    const config = loadConfig({ ...env, BRIDGE_QUEUE_URL: "https://sqs.example/q.fifo" });
    expect(config.paddleUidCustomDataKeys).toEqual(["app_user", "fullstory_uid"]);
    expect(config.chargebeeUidField).toEqual({ kind: "meta_data", key: "app_user" });
    expect(() => stageSettings("dev", { chargebeeUidField: "email" })).toThrow(/chargebeeUidField/);
    expect(() => stageSettings("dev", { paddleUidCustomDataKeys: ["a,b"] })).toThrow(/paddleUidCustomDataKeys/);
  });

  it("pass the Lemon Squeezy, Polar and WorkOS uid settings and parameter names a stage overrides to ingest", () => {
    const s = stageSettings("eu", {
      sources: ["lemonsqueezy", "polar", "workos"],
      parameters: { polar: "/shared/polar-secret" },
      lemonsqueezyUidCustomDataKeys: ["app_user", "fullstory_uid"],
      polarUidMetadataKeys: ["account"],
      workosUidField: "external_id",
    });
    const config = loadConfig({ ...ingestEnvironment(s), ...urls });
    expect(config.secrets).toEqual({
      lemonsqueezy: { kind: "parameter", name: "/fullstory-bridge/eu/lemonsqueezy-webhook-secret" },
      polar: { kind: "parameter", name: "/shared/polar-secret" },
      workos: { kind: "parameter", name: "/fullstory-bridge/eu/workos-webhook-secret" },
    });
    expect(config).toMatchObject({ lemonsqueezyUidCustomDataKeys: ["app_user", "fullstory_uid"], polarUidMetadataKeys: ["account"], workosUidField: "external_id" });
  });

  it("refuses a uid setting no function could read, naming it", () => {
    expect(() => stageSettings("dev", { workosUidField: "email" })).toThrow(/workosUidField/);
    expect(() => stageSettings("dev", { lemonsqueezyUidCustomDataKeys: ["a,b"] })).toThrow(/lemonsqueezyUidCustomDataKeys/);
    expect(() => stageSettings("dev", { polarUidMetadataKeys: [] })).toThrow(/polarUidMetadataKeys/);
  });
});
