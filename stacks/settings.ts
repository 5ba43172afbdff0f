import * as z from "zod";
import { DATA_CENTERS, SOURCE_NAMES, type DataCenter, type SourceName } from "../functions/config";
import { EventNamesSchema } from "../functions/lifecycle";

/**
 * Per-stage settings of the deployed bridge, derived from the stage name and the stage's entry in
 * `stacks/stages.ts`. Pure (no SST globals), so `sst.config.ts` can use it in `app()` as well as
 * `run()`, and tests can call it directly.
 */

/**
 * Stages whose queues (with their dead letters) and tables are kept when the stage or the resource
 * is removed, that refuse `sst remove`, and that are live by default. Their other resources (the
 * functions, roles, API and alarm) go with the stage.
 */
export const PRODUCTION_STAGES: readonly string[] = ["production", "prod"];

/** `fullstory-webhook-bridge-<stage>-`: every alarm of the stage starts so (`npm run status` looks them up by it). */
export const alarmPrefix = (stage: string) => `fullstory-webhook-bridge-${stage}-`;

/** Where webhook signing secrets and the Fullstory key live unless a stage names its own parameters. */
export const PARAMETER_PREFIX = "/fullstory-bridge";

// SSM parameter names: letters, digits and `_.-/`; the leading slash makes the ARN
// `…:parameter/<path>` with nothing to insert. https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html
const ParameterName = z.string().regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, "must be a full SSM parameter name starting with /");

const StageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, "must be letters, digits and hyphens");

// Lambda allows at most 900 s; the queue's visibility timeout (6 × this) must stay within SQS's 12 h.
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
const DeliverTimeout = z.number().int().min(10).max(900);

/** What a stage may override; anything else is refused, so a misspelt key cannot be ignored silently. */
export const StageOverridesSchema = z.strictObject({
  /** The webhook sources this stage serves; the others answer 404. Default: all of them. */
  sources: z.array(z.enum(SOURCE_NAMES)).min(1).optional(),
  /** `FULLSTORY_REGION`: refuse a Fullstory key of another data center (data residency). */
  region: z.enum(DATA_CENTERS).optional(),
  /** `FULLSTORY_API_URL`: Fullstory's base URL, when not `https://api.fullstory.com`. */
  apiUrl: z.url({ protocol: /^https$/ }).optional(),
  /** `BRIDGE_LIVE`: ignore test-mode events (Stripe's `livemode: false`, Paddle's simulated events). Default: true on production stages only. */
  live: z.boolean().optional(),
  /** SSM parameter names, when not `/fullstory-bridge/<stage>/…`. */
  parameters: z
    .strictObject({
      fullstoryApiKey: ParameterName.optional(),
      stripeApiKey: ParameterName.optional(),
      clerkSecretKey: ParameterName.optional(),
      stripe: ParameterName.optional(),
      clerk: ParameterName.optional(),
      standard: ParameterName.optional(),
      paddle: ParameterName.optional(),
      chargebee: ParameterName.optional(),
      lemonsqueezy: ParameterName.optional(),
      polar: ParameterName.optional(),
      workos: ParameterName.optional(),
    })
    .optional(),
  /**
   * Stripe API mode: deliver writes each Stripe object as Stripe holds it now, read with the
   * restricted read-only key in `/fullstory-bridge/<stage>/stripe-api-key` (or `parameters.stripeApiKey`).
   */
  stripeApi: z.boolean().optional(),
  /** The KMS key the SecureString parameters are encrypted with (id, ARN or alias). */
  parameterKmsKey: z.string().min(1).optional(),
  /** `STRIPE_UID_METADATA_KEYS`, `CLERK_UID_FIELD`, `BRIDGE_PARAMETER_TTL_SECONDS`: the functions' own defaults otherwise. */
  stripeUidMetadataKeys: z.array(z.string().regex(/^[^,\s]+$/, "one metadata key, without commas")).min(1).optional(),
  clerkUidField: z.enum(["id", "external_id"]).optional(),
  /** `PADDLE_UID_CUSTOM_DATA_KEYS`, `CHARGEBEE_UID_FIELD` (`id` or `meta_data.<key>`). */
  paddleUidCustomDataKeys: z.array(z.string().regex(/^[^,\s]+$/, "one custom_data key, without commas")).min(1).optional(),
  chargebeeUidField: z.string().regex(/^(id|meta_data\.\S+)$/, "must be `id` or `meta_data.<key>`").optional(),
  /** `LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS`, `POLAR_UID_METADATA_KEYS`, `WORKOS_UID_FIELD`: the functions' own defaults otherwise. */
  lemonsqueezyUidCustomDataKeys: z.array(z.string().regex(/^[^,\s]+$/, "one custom data key, without commas")).min(1).optional(),
  polarUidMetadataKeys: z.array(z.string().regex(/^[^,\s]+$/, "one metadata key, without commas")).min(1).optional(),
  workosUidField: z.enum(["id", "external_id"]).optional(),
  parameterTtlSeconds: z.number().int().positive().optional(),
  deliverTimeoutSeconds: DeliverTimeout.optional(),
  /** `FULLSTORY_EVENTS`: send lifecycle events (`POST /v2/events`, counted against the plan's server-event quota). Default: off. */
  events: z.boolean().optional(),
  /** `FULLSTORY_EVENT_NAMES`: default event name → new name, or false to not send that one. */
  eventNames: EventNamesSchema.optional(),
  /** How many times SQS hands a message to deliver before moving it to the dead-letter queue. */
  maxReceiveCount: z.number().int().min(5).max(1000).optional(),
  memoryMb: z.number().int().min(128).max(10240).optional(),
  /** The main queue's oldest message older than this many minutes raises an alarm (default 15). */
  queueAgeAlarmMinutes: z.number().int().min(1).max(1440).optional(),
  /** A source's share of webhooks answered 401 over 15 minutes above this percent raises an alarm (default 20). */
  invalidSignatureAlarmPercent: z.number().min(1).max(100).optional(),
  /** No webhook accepted, from any source, for this many minutes raises an alarm (off unless set; 5 to 1440). */
  quietAlarmMinutes: z.number().int().min(5).max(1440).optional(),
  /** SNS topics told when any alarm (dead letters, queue age, signatures, errors, quiet) goes off and back. */
  alarmTopicArns: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN")).optional(),
});
export type StageOverrides = z.input<typeof StageOverridesSchema>;

export interface StageSettings {
  stage: string;
  production: boolean;
  live: boolean;
  sources: SourceName[];
  region?: DataCenter;
  apiUrl?: string;
  parameters: {
    fullstoryApiKey: string;
    stripeApiKey?: string;
    /**
     * Clerk's secret key, read only by `npm run backfill -- clerk --stage <stage>` with the
     * operator's credentials: no function is given it or may read it.
     */
    clerkSecretKey: string;
    secrets: { source: SourceName; name: string }[];
  };
  parameterKmsKey: string;
  stripeUidMetadataKeys?: string[];
  clerkUidField?: "id" | "external_id";
  paddleUidCustomDataKeys?: string[];
  chargebeeUidField?: string;
  lemonsqueezyUidCustomDataKeys?: string[];
  polarUidMetadataKeys?: string[];
  workosUidField?: "id" | "external_id";
  parameterTtlSeconds?: number;
  events: boolean;
  eventNames?: Record<string, string | false>;
  memoryMb: number;
  ingestTimeoutSeconds: number;
  deliverTimeoutSeconds: number;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  alarmTopicArns: string[];
  queueAgeAlarmMinutes: number;
  invalidSignatureAlarmPercent: number;
  quietAlarmMinutes?: number;
}

// API Gateway HTTP APIs wait at most 30 s for an integration; ingest only verifies and enqueues.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
const INGEST_TIMEOUT_SECONDS = 10;

// Lambda's advice for SQS event sources: queue visibility timeout ≥ 6 × the function timeout.
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
const VISIBILITY_FACTOR = 6;

// A retryable failure keeps being retried for at least 15 minutes before it becomes a dead letter,
// as in local mode: each receive hides the message for one visibility timeout.
const MIN_RETRY_WINDOW_SECONDS = 15 * 60;

/** True for the stages treated as production: queues and tables retained, protected, and live by default. */
export function isProductionStage(stage: string): boolean {
  return PRODUCTION_STAGES.includes(stage);
}

/**
 * The settings of `stage`: defaults derived from its name, then `overrides` (validated; unknown
 * keys are refused). Throws an Error naming the stage and the offending keys when an override is
 * malformed or when the retry window (maxReceiveCount × visibility timeout) is under 15 minutes.
 */
export function stageSettings(stage: string, overrides: unknown = {}): StageSettings {
  const name = StageName.safeParse(stage);
  if (!name.success) throw new Error(`Stage "${stage}": the stage name ${name.error.issues[0]?.message}.`);
  const parsed = StageOverridesSchema.safeParse(overrides);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`Stage "${stage}" in stacks/stages.ts: ${problems}`);
  }
  const o = parsed.data;
  const production = isProductionStage(stage);
  const sources = o.sources ? SOURCE_NAMES.filter((s) => o.sources?.includes(s)) : [...SOURCE_NAMES];
  const deliverTimeoutSeconds = o.deliverTimeoutSeconds ?? 30;
  const visibilityTimeoutSeconds = VISIBILITY_FACTOR * deliverTimeoutSeconds;
  const maxReceiveCount = o.maxReceiveCount ?? 5;
  if (maxReceiveCount * visibilityTimeoutSeconds < MIN_RETRY_WINDOW_SECONDS) {
    throw new Error(
      `Stage "${stage}" in stacks/stages.ts: maxReceiveCount × visibility timeout (${maxReceiveCount} × ${visibilityTimeoutSeconds} s) ` +
        `is under ${MIN_RETRY_WINDOW_SECONDS} s; raise maxReceiveCount to ${Math.ceil(MIN_RETRY_WINDOW_SECONDS / visibilityTimeoutSeconds)}.`,
    );
  }
  const defaultName = (what: string) => `${PARAMETER_PREFIX}/${stage}/${what}`;
  return {
    stage,
    production,
    live: o.live ?? production,
    sources,
    region: o.region,
    apiUrl: o.apiUrl,
    parameters: {
      fullstoryApiKey: o.parameters?.fullstoryApiKey ?? defaultName("fullstory-api-key"),
      ...(o.stripeApi ? { stripeApiKey: o.parameters?.stripeApiKey ?? defaultName("stripe-api-key") } : {}),
      clerkSecretKey: o.parameters?.clerkSecretKey ?? defaultName("clerk-secret-key"),
      secrets: sources.map((source) => ({ source, name: o.parameters?.[source] ?? defaultName(`${source}-webhook-secret`) })),
    },
    // SecureStrings put without `--key-id` are encrypted with the account's AWS managed key for SSM.
    parameterKmsKey: o.parameterKmsKey ?? "alias/aws/ssm",
    stripeUidMetadataKeys: o.stripeUidMetadataKeys,
    clerkUidField: o.clerkUidField,
    paddleUidCustomDataKeys: o.paddleUidCustomDataKeys,
    chargebeeUidField: o.chargebeeUidField,
    lemonsqueezyUidCustomDataKeys: o.lemonsqueezyUidCustomDataKeys,
    polarUidMetadataKeys: o.polarUidMetadataKeys,
    workosUidField: o.workosUidField,
    parameterTtlSeconds: o.parameterTtlSeconds,
    events: o.events ?? false,
    ...(o.eventNames ? { eventNames: o.eventNames as Record<string, string | false> } : {}),
    memoryMb: o.memoryMb ?? 256,
    ingestTimeoutSeconds: INGEST_TIMEOUT_SECONDS,
    deliverTimeoutSeconds,
    visibilityTimeoutSeconds,
    maxReceiveCount,
    alarmTopicArns: o.alarmTopicArns ?? [],
    queueAgeAlarmMinutes: o.queueAgeAlarmMinutes ?? 15,
    invalidSignatureAlarmPercent: o.invalidSignatureAlarmPercent ?? 20,
    ...(o.quietAlarmMinutes === undefined ? {} : { quietAlarmMinutes: o.quietAlarmMinutes }),
  };
}

/**
 * Settings both functions read (functions/config.ts), as environment variables: the uid settings
 * too, since deliver maps events again (a thin event's object in API mode, a version-1 message).
 */
function commonEnvironment(s: StageSettings): Record<string, string> {
  // The stage names the metrics' `stage` dimension.
  const env: Record<string, string> = { BRIDGE_STAGE: s.stage };
  if (s.parameterTtlSeconds !== undefined) env.BRIDGE_PARAMETER_TTL_SECONDS = String(s.parameterTtlSeconds);
  if (s.stripeUidMetadataKeys) env.STRIPE_UID_METADATA_KEYS = s.stripeUidMetadataKeys.join(",");
  if (s.clerkUidField) env.CLERK_UID_FIELD = s.clerkUidField;
  if (s.paddleUidCustomDataKeys) env.PADDLE_UID_CUSTOM_DATA_KEYS = s.paddleUidCustomDataKeys.join(",");
  if (s.chargebeeUidField) env.CHARGEBEE_UID_FIELD = s.chargebeeUidField;
  if (s.lemonsqueezyUidCustomDataKeys) env.LEMONSQUEEZY_UID_CUSTOM_DATA_KEYS = s.lemonsqueezyUidCustomDataKeys.join(",");
  if (s.polarUidMetadataKeys) env.POLAR_UID_METADATA_KEYS = s.polarUidMetadataKeys.join(",");
  if (s.workosUidField) env.WORKOS_UID_FIELD = s.workosUidField;
  // Both functions: ingest names the events it queues, deliver those of a thin event it fetched.
  if (s.events) env.FULLSTORY_EVENTS = "true";
  if (s.eventNames) env.FULLSTORY_EVENT_NAMES = JSON.stringify(s.eventNames);
  return env;
}

/**
 * The ingest function's environment, queue URLs aside: one `<SOURCE>_WEBHOOK_SECRET_PARAMETER` per
 * enabled source (a source without one answers 404), `BRIDGE_LIVE`, and the uid settings when the
 * stage overrides them (functions/config.ts holds their defaults).
 */
export function ingestEnvironment(s: StageSettings): Record<string, string> {
  const env: Record<string, string> = { ...commonEnvironment(s), BRIDGE_LIVE: String(s.live) };
  for (const { source, name } of s.parameters.secrets) env[`${source.toUpperCase()}_WEBHOOK_SECRET_PARAMETER`] = name;
  return env;
}

/**
 * The deliver function's environment, queue URLs and state table aside: the key's parameter, the
 * base URL, the pinned data center, and Stripe API mode's key parameter when the stage turns it on.
 */
export function deliverEnvironment(s: StageSettings): Record<string, string> {
  const env: Record<string, string> = { ...commonEnvironment(s), FULLSTORY_API_KEY_PARAMETER: s.parameters.fullstoryApiKey };
  if (s.parameters.stripeApiKey) env.STRIPE_API_KEY_PARAMETER = s.parameters.stripeApiKey;
  if (s.apiUrl) env.FULLSTORY_API_URL = s.apiUrl;
  if (s.region) env.FULLSTORY_REGION = s.region;
  return env;
}
