import { isBridgeError } from "../functions/errors";
import { keyRegion } from "../functions/fullstory/region";
import type { ParameterReader } from "../functions/secrets";
import type { KeyStatus } from "./status-report";

/**
 * Whether the Fullstory key can be read, and its data center (from its prefix), without printing
 * it: inline, from its SSM parameter (read with the caller's credentials), or none (a dry run).
 */
export async function keyStatus(setting: { apiKey?: string; apiKeyParameter?: string }, parameters: ParameterReader): Promise<KeyStatus> {
  if (setting.apiKey) return { kind: "inline", dataCenter: keyRegion(setting.apiKey) };
  const name = setting.apiKeyParameter;
  if (!name) return { kind: "none" };
  try {
    const value = (await parameters.get(name)).trim();
    if (value === "") return { kind: "parameter", name, readable: false, problem: "the parameter is empty" };
    return { kind: "parameter", name, readable: true, dataCenter: keyRegion(value) };
  } catch (err) {
    // The SDK's error name and the bridge's code say what is wrong; the message could quote a value.
    const problem = isBridgeError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.name : "unreadable";
    return { kind: "parameter", name, readable: false, problem };
  }
}
