import { existsSync } from "node:fs";
import path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { loadConfig, type Config, type SecretSetting } from "../../functions/config";
import { apiKeyGetter } from "../../functions/deliver-core";
import { createParameterStore, type ParameterStore } from "../../functions/parameters";
import { SDK_CLIENT_OPTIONS } from "../../functions/sdk-options";
import { createDynamoStateStore } from "../../functions/state/dynamo";
import type { StateStore } from "../../functions/state/port";
import { STORE_FILE } from "../../local/queue-store";
import { openStateStore } from "../../local/state-store";
import { PARAMETER_PREFIX, deliverEnvironment, stageSettings } from "../../stacks/settings";
import { STAGES } from "../../stacks/stages";
import { SST_OUTPUTS_FILE, queueRegion, stageQueues } from "../dlq-sqs";

/**
 * Where a backfill runs against: local mode's settings (the environment, the identity directory in
 * BRIDGE_DATA_DIR's SQLite file, safe beside a running `npm start` as the `dlq` tool is), or a
 * deployed stage, read as its deliver function reads it: the stage's settings from
 * `stacks/stages.ts`, its keys from its SSM parameters and its state table from `.sst/outputs.json`,
 * with the operator's own AWS credentials.
 */
export interface Target {
  /** `local` or `stage <name>`. */
  label: string;
  /** `local` or the stage's name: the default checkpoint's name. */
  where: string;
  config: Config;
  parameters: ParameterStore;
  /** The identity directory, opened on first call, or undefined when there is none to read and teach. */
  identityDirectory(): StateStore | undefined;
  /** Where each key comes from, for messages: a variable, or the SSM parameter. */
  keySettings: { fullstory: string; stripe: string; clerk: string };
  /** What the operator should know before the run (a stage without a state table). */
  notes: string[];
  close(): void;
}

/** How a secret setting is named in messages. */
function settingName(setting: SecretSetting | undefined, variable: string): string {
  if (setting?.kind === "parameter") return `SSM parameter ${setting.name}`;
  return variable;
}

function keySettings(config: Config): Target["keySettings"] {
  const { apiKeyParameter } = config.fullstory;
  return {
    fullstory: apiKeyParameter ? `SSM parameter ${apiKeyParameter}` : "FULLSTORY_API_KEY",
    stripe: settingName(config.stripeApi?.key, "STRIPE_API_KEY"),
    clerk: settingName(config.clerkApi?.key, "CLERK_SECRET_KEY"),
  };
}

/**
 * Local mode: settings from `env`; the identity directory in BRIDGE_DATA_DIR, when it holds a
 * bridge's file or `learn` is set (a dry run creates nothing there).
 */
export function localTarget(env: NodeJS.ProcessEnv, { learn }: { learn: boolean }): Target {
  const config = loadConfig(env);
  let state: (StateStore & { close(): void }) | undefined;
  return {
    label: "local",
    where: "local",
    config,
    parameters: createParameterStore({ ttlMs: config.parameterTtlMs }),
    identityDirectory() {
      if (!state && (learn || existsSync(path.join(config.dataDir, STORE_FILE)))) state = openStateStore({ dir: config.dataDir });
      return state;
    },
    keySettings: keySettings(config),
    notes: [],
    close: () => state?.close(),
  };
}

/** Settings a stage defines: the shell's own values of these never apply to a stage. */
const STAGE_VARIABLES = [
  "FULLSTORY_API_KEY",
  "FULLSTORY_API_KEY_PARAMETER",
  "FULLSTORY_REGION",
  "STRIPE_API_KEY",
  "STRIPE_API_KEY_PARAMETER",
  "CLERK_SECRET_KEY",
  "CLERK_SECRET_KEY_PARAMETER",
  "STRIPE_UID_METADATA_KEYS",
  "CLERK_UID_FIELD",
  "BRIDGE_PARAMETER_TTL_SECONDS",
  "BRIDGE_STATE_TABLE",
] as const;

/**
 * A deployed stage: deliver's environment for the stage (its Fullstory key parameter, base URL,
 * data-center pin and uid settings), the Stripe API key's parameter (`parameters.stripeApiKey`, else
 * `/fullstory-bridge/<stage>/stripe-api-key`, with or without API mode), Clerk's secret key
 * parameter (`clerkSecretKey`), and the state table named in `outputsFile`, which must be the
 * stage's. The shell's URL overrides (`FULLSTORY_API_URL` when the stage sets no `apiUrl`,
 * `STRIPE_API_URL`, `CLERK_API_URL`) and AWS settings still apply. Throws naming what to fix.
 */
export function stageTarget(stage: string, env: NodeJS.ProcessEnv, outputsFile = SST_OUTPUTS_FILE): Target {
  const settings = stageSettings(stage, STAGES[stage]);
  const outputs = stageQueues(stage, outputsFile);
  const shell: NodeJS.ProcessEnv = { ...env };
  for (const variable of STAGE_VARIABLES) delete shell[variable];
  const config = loadConfig({
    ...shell,
    ...deliverEnvironment(settings),
    // A stage without API mode names no Stripe key for deliver; the backfill still reads one.
    STRIPE_API_KEY_PARAMETER: settings.parameters.stripeApiKey ?? STAGES[stage]?.parameters?.stripeApiKey ?? `${PARAMETER_PREFIX}/${stage}/stripe-api-key`,
    CLERK_SECRET_KEY_PARAMETER: settings.parameters.clerkSecretKey,
  });
  const { stateTable } = outputs;
  let state: { store: StateStore; client: DynamoDBClient } | undefined;
  return {
    label: `stage ${stage}`,
    where: stage,
    config,
    parameters: createParameterStore({ ttlMs: config.parameterTtlMs }),
    identityDirectory() {
      if (!state && stateTable) {
        // The table is in the stage's region: the queues' URLs name it, so AWS_REGION need not.
        const region = queueRegion(outputs.deadLetterQueueUrl);
        const client = new DynamoDBClient({ ...SDK_CLIENT_OPTIONS, ...(region ? { region } : {}) });
        state = { store: createDynamoStateStore({ tableName: stateTable, client }), client };
      }
      return state?.store;
    },
    keySettings: keySettings(config),
    notes: stateTable ? [] : [`${outputsFile} names no stateTableName (a deploy older than the state table): identities are neither read nor learned.`],
    close: () => state?.client.destroy(),
  };
}

/** The Fullstory key getter of `target` (forceRefresh after a 401), or undefined when no key is configured. */
export function fullstoryKey(target: Target): ((forceRefresh?: boolean) => Promise<string>) | undefined {
  const { apiKey, apiKeyParameter } = target.config.fullstory;
  return apiKey || apiKeyParameter ? apiKeyGetter(target.config, target.parameters) : undefined;
}

/** A provider key's getter from its setting: the first inline value, or the SSM parameter. */
export function secretGetter(setting: SecretSetting, parameters: ParameterStore): () => Promise<string> {
  return setting.kind === "values" ? async () => setting.values[0] ?? "" : () => parameters.get(setting.name);
}
