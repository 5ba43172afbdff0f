import * as z from "zod";
import { BridgeError, ErrorCode } from "./errors";
import { EventNamesSchema, eventSettings, type EventSettings } from "./lifecycle";

/**
 * The only reader of the environment. Every setting is validated here, once per container, and the
 * resulting `Config` is passed to everything else. Errors name the variable to fix.
 */

export const SOURCE_NAMES = ["stripe", "clerk", "standard", "paddle", "chargebee", "lemonsqueezy", "polar", "workos"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** A webhook signing secret list: given inline (local use) or read from an SSM parameter. */
export type SecretSetting = { kind: "values"; values: string[] } | { kind: "parameter"; name: string };

export const DATA_CENTERS = ["na1", "eu1"] as const;
export type DataCenter = (typeof DATA_CENTERS)[number];

export interface Config {
  /** Ignore test-mode events, where the payload says so (`BRIDGE_LIVE=true`): Stripe's `livemode: false`, Paddle's simulated events. */
  live: boolean;
  maxBodyBytes: number;
  fullstory: {
    apiKey?: string;
    apiKeyParameter?: string;
    apiUrl: string;
    region?: DataCenter;
  };
  secrets: Partial<Record<SourceName, SecretSetting>>;
  stripeUidMetadataKeys: string[];
  clerkUidField: "id" | "external_id";
  /** Paddle `custom_data` keys searched for the uid, first found wins (`PADDLE_UID_CUSTOM_DATA_KEYS`). */
  paddleUidCustomDataKeys: string[];
  /** Where a Chargebee customer names its uid: its `id`, or `meta_data.<key>` (`CHARGEBEE_UID_FIELD`). */
  chargebeeUidField: ChargebeeUidField;
  /** `LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS`: the checkout's `custom_data` keys searched for the uid, first found wins. */
  lemonsqueezyUidCustomDataKeys: string[];
  /** `POLAR_UID_METADATA_KEYS`: the metadata keys searched for the uid after the customer's `external_id`. */
  polarUidMetadataKeys: string[];
  /** `WORKOS_UID_FIELD`: which WorkOS user field is the uid. */
  workosUidField: "id" | "external_id";
  queueUrl?: string;
  deadLetterQueueUrl?: string;
  /** The DynamoDB table of the identity directory, watermarks and waiting letters (`BRIDGE_STATE_TABLE`, deployed stages). */
  stateTable?: string;
  /**
   * Stripe API mode: a restricted read-only key, inline (`STRIPE_API_KEY`, local use) or in an SSM
   * parameter (`STRIPE_API_KEY_PARAMETER`); unset: the events' snapshots are written as they are.
   */
  stripeApi?: { key: SecretSetting; url: string };
  /** The deployed stage's name (`BRIDGE_STAGE`, set by the stack): the metrics' `stage` dimension. */
  stage?: string;
  /** Lifecycle events (`FULLSTORY_EVENTS`, off by default) and their names (`FULLSTORY_EVENT_NAMES`). */
  events: EventSettings;
  /**
   * Clerk's Backend API, read by `npm run backfill -- clerk` only: the instance's secret key, inline
   * (`CLERK_SECRET_KEY`) or in an SSM parameter (`CLERK_SECRET_KEY_PARAMETER`); `url` is
   * `CLERK_API_URL` (a loopback fake in tests). Unset: the key is not configured.
   */
  clerkApi?: { key: SecretSetting; url: string };
  parameterTtlMs: number;
  dataDir: string;
  host: string;
  port: number;
  /** Local mode: how often the delivery loop looks at an idle queue (`BRIDGE_POLL_MS`). */
  pollMs: number;
}

/** `CHARGEBEE_UID_FIELD`: the customer's `id`, or one key of its `meta_data`. */
export type ChargebeeUidField = { kind: "id" } | { kind: "meta_data"; key: string };

/** A comma-separated setting as a list, blanks dropped (secret lists, uid keys). */
export const splitList = (value: string): string[] =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .optional()
  .transform((s) => (s ? s : undefined));

const boolText = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((s) => s === "true" || s === "1");

const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === "") return fallback;
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) {
        ctx.addIssue({ code: "custom", message: "must be a positive whole number" });
        return z.NEVER;
      }
      return n;
    });

/**
 * The default `BRIDGE_MAX_BODY_BYTES`: 128 KiB, the largest round size whose queue message is
 * certain to fit in one SQS message (1 MiB, body and attributes). Per byte of webhook body the
 * message holds at most 6.25 bytes: the raw body, JSON-escaped in `raw`, is at most 3 bytes per
 * body byte (a byte of broken UTF-8 becomes U+FFFD, 3 bytes; `"`, `\` and whitespace escape to 2,
 * and a byte escaped so cannot also grow the upsert), and the mapped upsert at most 5.25 (a JSON
 * number such as `1e20`, 4 bytes, serialises as 21 digits; such a byte is 1 in `raw`), so 6.25 at
 * worst. 128 KiB × 6.25 = 800 KiB, which leaves 224 KiB for the envelope (source, ids, times,
 * at most 2 KiB), dead-letter attributes (at most 1.5 KiB) and lifecycle events (at most four per
 * event, whose values copied from the body, plan names, are each within Fullstory's 8 KiB: at
 * most 64 KiB). A larger setting is allowed: ingest then sizes each message exactly and answers
 * 413 when it would not fit.
 */
export const DEFAULT_MAX_BODY_BYTES = 128 * 1024;

const EnvSchema = z.object({
  FULLSTORY_API_KEY: optionalText,
  FULLSTORY_API_KEY_PARAMETER: optionalText,
  FULLSTORY_API_URL: z.url({ protocol: /^https?$/ }).optional().or(z.literal("").transform(() => undefined)),
  FULLSTORY_REGION: z.enum(DATA_CENTERS).optional().or(z.literal("").transform(() => undefined)),
  FULLSTORY_EVENTS: boolText,
  FULLSTORY_EVENT_NAMES: optionalText,
  STRIPE_WEBHOOK_SECRET: optionalText,
  STRIPE_WEBHOOK_SECRET_PARAMETER: optionalText,
  CLERK_WEBHOOK_SECRET: optionalText,
  CLERK_WEBHOOK_SECRET_PARAMETER: optionalText,
  STANDARD_WEBHOOK_SECRET: optionalText,
  STANDARD_WEBHOOK_SECRET_PARAMETER: optionalText,
  STRIPE_UID_METADATA_KEYS: optionalText,
  CLERK_UID_FIELD: z.enum(["id", "external_id"]).optional().or(z.literal("").transform(() => undefined)),
  PADDLE_WEBHOOK_SECRET: optionalText,
  PADDLE_WEBHOOK_SECRET_PARAMETER: optionalText,
  PADDLE_UID_CUSTOM_DATA_KEYS: optionalText,
  CHARGEBEE_WEBHOOK_SECRET: optionalText,
  CHARGEBEE_WEBHOOK_SECRET_PARAMETER: optionalText,
  CHARGEBEE_UID_FIELD: optionalText.pipe(
    z.string().regex(/^(id|meta_data\.\S+)$/, "must be `id` or `meta_data.<key>` (one key of the customer's meta_data)").optional(),
  ),
  LEMONSQUEEZY_WEBHOOK_SECRET: optionalText,
  LEMONSQUEEZY_WEBHOOK_SECRET_PARAMETER: optionalText,
  LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS: optionalText,
  POLAR_WEBHOOK_SECRET: optionalText,
  POLAR_WEBHOOK_SECRET_PARAMETER: optionalText,
  POLAR_UID_METADATA_KEYS: optionalText,
  WORKOS_WEBHOOK_SECRET: optionalText,
  WORKOS_WEBHOOK_SECRET_PARAMETER: optionalText,
  WORKOS_UID_FIELD: z.enum(["id", "external_id"]).optional().or(z.literal("").transform(() => undefined)),
  BRIDGE_LIVE: boolText,
  BRIDGE_MAX_BODY_BYTES: positiveInt(DEFAULT_MAX_BODY_BYTES),
  BRIDGE_PARAMETER_TTL_SECONDS: positiveInt(300),
  BRIDGE_QUEUE_URL: optionalText,
  BRIDGE_STATE_TABLE: optionalText,
  BRIDGE_STAGE: optionalText,
  STRIPE_API_KEY: optionalText,
  STRIPE_API_KEY_PARAMETER: optionalText,
  STRIPE_API_URL: z.url({ protocol: /^https?$/ }).optional().or(z.literal("").transform(() => undefined)),
  CLERK_SECRET_KEY: optionalText,
  CLERK_SECRET_KEY_PARAMETER: optionalText,
  CLERK_API_URL: z.url({ protocol: /^https?$/ }).optional().or(z.literal("").transform(() => undefined)),
  BRIDGE_DEAD_LETTER_QUEUE_URL: optionalText,
  BRIDGE_DATA_DIR: optionalText,
  HOST: optionalText,
  PORT: positiveInt(8787).refine((n) => n <= 65535, "must be a port number (1-65535)"),
  BRIDGE_POLL_MS: positiveInt(250).refine((n) => n <= 60_000, "must be at most 60000 (milliseconds)"),
});

function secretSetting(values: string | undefined, parameter: string | undefined, variable: string): SecretSetting | undefined {
  if (values && parameter) {
    throw new BridgeError(ErrorCode.ConfigInvalid, `Set either ${variable} or ${variable}_PARAMETER, not both.`);
  }
  if (parameter) return { kind: "parameter", name: parameter };
  if (values) return { kind: "values", values: splitList(values) };
  return undefined;
}

/** `FULLSTORY_EVENT_NAMES`: a JSON object of default event name → new name or `false`. */
function eventNames(text: string | undefined): Record<string, string | false> {
  if (text === undefined) return {};
  const example = `e.g. {"Payment Failed": "Billing Payment Failed", "Trial Ending": false}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BridgeError(ErrorCode.ConfigInvalid, `Invalid configuration: FULLSTORY_EVENT_NAMES: not JSON; ${example}.`);
  }
  const parsed = EventNamesSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => (i.code === "unrecognized_keys" ? `unknown event name(s) ${i.keys.map((k) => JSON.stringify(k)).join(", ")}` : `${i.path.map(String).join(".") || "value"}: ${i.message}`))
      .join("; ");
    throw new BridgeError(ErrorCode.ConfigInvalid, `Invalid configuration: FULLSTORY_EVENT_NAMES: ${problems}. Keys are the default event names; values a new name (1-250 characters) or false; ${example}.`);
  }
  return parsed.data as Record<string, string | false>;
}

const chargebeeUidField = (value: string | undefined): ChargebeeUidField =>
  value?.startsWith("meta_data.") ? { kind: "meta_data", key: value.slice("meta_data.".length) } : { kind: "id" };

/** Reads and validates the bridge's settings from `env` (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new BridgeError(ErrorCode.ConfigInvalid, `Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.FULLSTORY_API_KEY && e.FULLSTORY_API_KEY_PARAMETER) {
    throw new BridgeError(ErrorCode.ConfigInvalid, "Set either FULLSTORY_API_KEY or FULLSTORY_API_KEY_PARAMETER, not both.");
  }
  const secrets: Config["secrets"] = {};
  const stripe = secretSetting(e.STRIPE_WEBHOOK_SECRET, e.STRIPE_WEBHOOK_SECRET_PARAMETER, "STRIPE_WEBHOOK_SECRET");
  const clerk = secretSetting(e.CLERK_WEBHOOK_SECRET, e.CLERK_WEBHOOK_SECRET_PARAMETER, "CLERK_WEBHOOK_SECRET");
  const standard = secretSetting(e.STANDARD_WEBHOOK_SECRET, e.STANDARD_WEBHOOK_SECRET_PARAMETER, "STANDARD_WEBHOOK_SECRET");
  if (stripe) secrets.stripe = stripe;
  if (clerk) secrets.clerk = clerk;
  if (standard) secrets.standard = standard;
  const paddle = secretSetting(e.PADDLE_WEBHOOK_SECRET, e.PADDLE_WEBHOOK_SECRET_PARAMETER, "PADDLE_WEBHOOK_SECRET");
  const chargebee = secretSetting(e.CHARGEBEE_WEBHOOK_SECRET, e.CHARGEBEE_WEBHOOK_SECRET_PARAMETER, "CHARGEBEE_WEBHOOK_SECRET");
  if (paddle) secrets.paddle = paddle;
  if (chargebee) secrets.chargebee = chargebee;
  const lemonsqueezy = secretSetting(e.LEMONSQUEEZY_WEBHOOK_SECRET, e.LEMONSQUEEZY_WEBHOOK_SECRET_PARAMETER, "LEMONSQUEEZY_WEBHOOK_SECRET");
  const polar = secretSetting(e.POLAR_WEBHOOK_SECRET, e.POLAR_WEBHOOK_SECRET_PARAMETER, "POLAR_WEBHOOK_SECRET");
  const workos = secretSetting(e.WORKOS_WEBHOOK_SECRET, e.WORKOS_WEBHOOK_SECRET_PARAMETER, "WORKOS_WEBHOOK_SECRET");
  if (lemonsqueezy) secrets.lemonsqueezy = lemonsqueezy;
  if (polar) secrets.polar = polar;
  if (workos) secrets.workos = workos;

  const uidKeys = e.STRIPE_UID_METADATA_KEYS ? splitList(e.STRIPE_UID_METADATA_KEYS) : ["fullstory_uid", "user_id"];
  // The keys searched for a uid in a provider's free-form metadata unless a setting lists others.
  const keysOr = (value: string | undefined) => (value ? splitList(value) : ["fullstory_uid", "user_id"]);
  const stripeApiKey = secretSetting(e.STRIPE_API_KEY, e.STRIPE_API_KEY_PARAMETER, "STRIPE_API_KEY");
  const clerkSecretKey = secretSetting(e.CLERK_SECRET_KEY, e.CLERK_SECRET_KEY_PARAMETER, "CLERK_SECRET_KEY");
  return {
    live: e.BRIDGE_LIVE,
    maxBodyBytes: e.BRIDGE_MAX_BODY_BYTES,
    fullstory: {
      apiKey: e.FULLSTORY_API_KEY,
      apiKeyParameter: e.FULLSTORY_API_KEY_PARAMETER,
      apiUrl: (e.FULLSTORY_API_URL ?? "https://api.fullstory.com").replace(/\/+$/, ""),
      region: e.FULLSTORY_REGION,
    },
    secrets,
    stripeUidMetadataKeys: uidKeys,
    clerkUidField: e.CLERK_UID_FIELD ?? "id",
    paddleUidCustomDataKeys: e.PADDLE_UID_CUSTOM_DATA_KEYS ? splitList(e.PADDLE_UID_CUSTOM_DATA_KEYS) : ["fullstory_uid", "user_id"],
    chargebeeUidField: chargebeeUidField(e.CHARGEBEE_UID_FIELD),
    lemonsqueezyUidCustomDataKeys: keysOr(e.LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS),
    polarUidMetadataKeys: keysOr(e.POLAR_UID_METADATA_KEYS),
    workosUidField: e.WORKOS_UID_FIELD ?? "id",
    queueUrl: e.BRIDGE_QUEUE_URL,
    deadLetterQueueUrl: e.BRIDGE_DEAD_LETTER_QUEUE_URL,
    stateTable: e.BRIDGE_STATE_TABLE,
    ...(e.BRIDGE_STAGE ? { stage: e.BRIDGE_STAGE } : {}),
    ...(stripeApiKey ? { stripeApi: { key: stripeApiKey, url: (e.STRIPE_API_URL ?? "https://api.stripe.com").replace(/\/+$/, "") } } : {}),
    events: eventSettings(e.FULLSTORY_EVENTS, eventNames(e.FULLSTORY_EVENT_NAMES)),
    ...(clerkSecretKey ? { clerkApi: { key: clerkSecretKey, url: (e.CLERK_API_URL ?? "https://api.clerk.com").replace(/\/+$/, "") } } : {}),
    parameterTtlMs: e.BRIDGE_PARAMETER_TTL_SECONDS * 1000,
    dataDir: e.BRIDGE_DATA_DIR ?? ".bridge",
    host: e.HOST ?? "127.0.0.1",
    port: e.PORT,
    pollMs: e.BRIDGE_POLL_MS,
  };
}
