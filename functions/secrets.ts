import { splitList, type Config, type SecretSetting, type SourceName } from "./config";

/** What the secrets reader needs of the SSM parameter store (functions/parameters.ts). */
export interface ParameterReader {
  get(nameOrArn: string): Promise<string>;
}

/** A source's signing secrets, or undefined when the source is not configured on this stage. */
export type SecretsReader = (source: SourceName) => Promise<string[] | undefined>;

/**
 * Reads each source's secret list from its setting: inline values (local use) or an SSM parameter
 * holding a comma-separated list, so a secret can be rotated without downtime. The parameter store
 * caches, so this is cheap on the hot path.
 */
export function createSecretsReader(config: Pick<Config, "secrets">, parameters: ParameterReader): SecretsReader {
  return async (source) => {
    const setting: SecretSetting | undefined = config.secrets[source];
    if (!setting) return undefined;
    if (setting.kind === "values") return setting.values;
    return splitList(await parameters.get(setting.name));
  };
}
