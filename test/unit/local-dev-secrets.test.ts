import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { verifyChargebeeAuth } from "../../functions/sources/chargebee/verify";
import { verifyPaddleSignature } from "../../functions/sources/paddle/verify";
import { verifyStandardWebhook } from "../../functions/sources/standard-webhooks";
import { DEV_SECRETS_FILE, withDevSecrets } from "../../local/dev-secrets";
import { chargebeeAuthorization, lemonSqueezySignature, paddleSignatureHeader, polarWebhookHeaders, standardWebhookHeaders, workosSignatureHeader } from "../../tools/sign";
import { SOURCES } from "../../functions/sources";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bridge-dev-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("local development secrets", () => {
  it("enables every source with one generated secret each, kept owner-only and reused on the next start", () => {
    const first = withDevSecrets(loadConfig({ BRIDGE_DATA_DIR: dir }));
    expect(first.devSecretsFile).toBe(path.join(dir, DEV_SECRETS_FILE));
    expect(Object.keys(first.config.secrets).sort()).toEqual(["chargebee", "clerk", "lemonsqueezy", "paddle", "polar", "standard", "stripe", "workos"]);
    expect(statSync(path.join(dir, DEV_SECRETS_FILE)).mode & 0o777).toBe(0o600);
    expect(withDevSecrets(loadConfig({ BRIDGE_DATA_DIR: dir })).config.secrets).toEqual(first.config.secrets);
  });

  it("generates Standard Webhooks secrets the verifier accepts", () => {
    const setting = withDevSecrets(loadConfig({ BRIDGE_DATA_DIR: dir })).config.secrets.clerk;
    const secret = setting?.kind === "values" ? setting.values[0] : undefined;
    const now = 1_767_225_600;
    const headers = standardWebhookHeaders("{}", secret ?? "", "msg_1", now);
    expect(verifyStandardWebhook({ payload: "{}", headers, secrets: [secret ?? ""], now: now * 1000 })).toEqual({ id: "msg_1", timestamp: now });
  });

  it("generates a Paddle secret key and Chargebee credentials in their own formats, which the verifiers accept", () => {
    const { secrets } = withDevSecrets(loadConfig({ BRIDGE_DATA_DIR: dir })).config;
    const value = (setting: (typeof secrets)["paddle"]) => (setting?.kind === "values" ? setting.values[0] ?? "" : "");
    const paddle = value(secrets.paddle);
    const chargebee = value(secrets.chargebee);
    expect(paddle).toMatch(/^pdl_ntfset_01[0-9a-z]{24}_[A-Za-z0-9_-]{32}$/);
    expect(chargebee).toMatch(/^bridge:[0-9a-f]{48}$/);
    const now = 1_767_225_600;
    const headers = { "paddle-signature": paddleSignatureHeader("{}", paddle, now) };
    expect(verifyPaddleSignature({ payload: "{}", headers, secrets: [paddle], now: now * 1000 })).toEqual({ timestamp: now });
    expect(verifyChargebeeAuth({ payload: "{}", headers: { authorization: chargebeeAuthorization(chargebee) }, secrets: [chargebee], now: now * 1000 })).toEqual({ timestamp: now });
  });

  it("generates Lemon Squeezy, Polar and WorkOS secrets in their own formats, which their verifiers accept as the send tool signs", () => {
    const secrets = withDevSecrets(loadConfig({ BRIDGE_DATA_DIR: dir })).config.secrets;
    const secretOf = (source: "lemonsqueezy" | "polar" | "workos") => {
      const setting = secrets[source];
      return setting?.kind === "values" ? (setting.values[0] ?? "") : "";
    };
    const now = 1_767_225_600;
    const payload = '{"meta":{"event_name":"order_created"}}';
    expect(secretOf("lemonsqueezy")).toMatch(/^[A-Za-z0-9_-]{6,40}$/);
    expect(secretOf("polar")).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(SOURCES.lemonsqueezy.verify({ payload, headers: { "x-signature": lemonSqueezySignature(payload, secretOf("lemonsqueezy")) }, secrets: [secretOf("lemonsqueezy")], now: now * 1000 }).id).toHaveLength(64);
    expect(SOURCES.polar.verify({ payload, headers: polarWebhookHeaders(payload, secretOf("polar"), "msg_1", now), secrets: [secretOf("polar")], now: now * 1000 })).toEqual({ id: "msg_1", timestamp: now });
    const workos = { "workos-signature": workosSignatureHeader(payload, secretOf("workos"), now * 1000) };
    expect(SOURCES.workos.verify({ payload, headers: workos, secrets: [secretOf("workos")], now: now * 1000 })).toEqual({ timestamp: now });
  });

  it("leaves the configuration alone once any source has a secret of its own", () => {
    const config = loadConfig({ BRIDGE_DATA_DIR: dir, STRIPE_WEBHOOK_SECRET: "whsec_mine" });
    expect(withDevSecrets(config)).toEqual({ config });
    expect(config.secrets.clerk).toBeUndefined();
  });
});
