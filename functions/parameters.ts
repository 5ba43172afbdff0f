import { GetParameterCommand, GetParametersCommand, ParameterNotFound, ParameterVersionNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { BridgeError, ErrorCode } from "./errors";
import { SDK_CLIENT_OPTIONS } from "./sdk-options";

/**
 * SSM Parameter Store reader for the Fullstory key and the webhook secrets, in the manner of
 * Powertools' `getParameter`: values cached in memory for a TTL, clients created lazily once per
 * container, one in-flight request shared by concurrent callers.
 */
export interface ParameterStore {
  get(nameOrArn: string, opts?: { forceRefresh?: boolean }): Promise<string>;
  /**
   * Reads several parameters into the cache with one `GetParameters` call per region (at most 10
   * names a call), so a container that needs them all pays one round trip. Never throws: a name it
   * could not read is left to `get`, which says why.
   */
  prefetch(namesOrArns: string[]): Promise<void>;
}

/** GetParameters takes at most 10 names. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html */
const GET_PARAMETERS_MAX = 10;

export interface ParameterStoreOptions {
  ttlMs: number;
  /** Builds the SSM client for a region (undefined: the SDK's own default); tests point it at loopback. */
  client?: (region: string | undefined) => SSMClient;
  now?: () => number;
}

// arn:aws:ssm:<region>:<account>:parameter/<name>; GetParameter accepts the ARN as `Name`.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
const PARAMETER_ARN = /^arn:[^:]+:ssm:([^:]+):[^:]*:parameter\//;

/** The region named by a parameter ARN, or undefined for a plain name (the container's own region). */
export function parameterRegion(nameOrArn: string): string | undefined {
  return PARAMETER_ARN.exec(nameOrArn)?.[1];
}

/**
 * Creates a parameter store. `get` returns the decrypted value (`WithDecryption`), from the cache
 * while it is younger than `ttlMs` unless `forceRefresh` is set (after a 401, the key may have been
 * rotated). When SSM cannot be read right now (throttled, unreachable) it returns the value it read
 * last, if any. Throws a BridgeError: `parameter_not_found` (naming the parameter) when it does not
 * exist or is empty, `parameter_unavailable` (retryable) when SSM cannot be read and nothing was
 * read before.
 */
export function createParameterStore({ ttlMs, client, now = Date.now }: ParameterStoreOptions): ParameterStore {
  const makeClient = client ?? ((region) => new SSMClient({ ...SDK_CLIENT_OPTIONS, ...(region ? { region } : {}) }));
  const clients = new Map<string, SSMClient>();
  const cache = new Map<string, { value: string; expiresAt: number }>();
  const inFlight = new Map<string, Promise<string>>();

  const clientFor = (region: string | undefined): SSMClient => {
    const key = region ?? "";
    let existing = clients.get(key);
    if (!existing) {
      existing = makeClient(region);
      clients.set(key, existing);
    }
    return existing;
  };

  const fetch = async (name: string): Promise<string> => {
    let value: string | undefined;
    try {
      const out = await clientFor(parameterRegion(name)).send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      value = out.Parameter?.Value;
    } catch (cause) {
      if (cause instanceof ParameterNotFound || cause instanceof ParameterVersionNotFound) {
        throw new BridgeError(ErrorCode.ParameterNotFound, `SSM parameter ${name} does not exist.`, { cause });
      }
      // SSM throttled or out of reach: keep using the value read last rather than stall every
      // delivery until it answers (a rotated key still shows up with the next successful read, or
      // at once after a 401, which forces one). Only a value never read is an error.
      const stale = cache.get(name);
      if (stale) return stale.value;
      throw new BridgeError(ErrorCode.ParameterUnavailable, `SSM parameter ${name} could not be read right now.`, { cause });
    }
    if (!value) throw new BridgeError(ErrorCode.ParameterNotFound, `SSM parameter ${name} is empty.`);
    cache.set(name, { value, expiresAt: now() + ttlMs });
    return value;
  };

  return {
    async prefetch(names) {
      const byRegion = new Map<string, string[]>();
      for (const name of new Set(names)) {
        const cached = cache.get(name);
        if (cached && cached.expiresAt > now()) continue;
        const region = parameterRegion(name) ?? "";
        byRegion.set(region, [...(byRegion.get(region) ?? []), name]);
      }
      await Promise.all(
        [...byRegion].flatMap(([region, list]) =>
          Array.from({ length: Math.ceil(list.length / GET_PARAMETERS_MAX) }, async (_, i) => {
            const chunk = list.slice(i * GET_PARAMETERS_MAX, (i + 1) * GET_PARAMETERS_MAX);
            try {
              const out = await clientFor(region || undefined).send(new GetParametersCommand({ Names: chunk, WithDecryption: true }));
              for (const p of out.Parameters ?? []) {
                // SSM answers a name given as an ARN with the ARN; a plain name with the name.
                const asked = chunk.find((n) => n === p.Name || n === p.ARN);
                if (asked && p.Value) cache.set(asked, { value: p.Value, expiresAt: now() + ttlMs });
              }
            } catch {
              // Left to `get`, which reads each one and says what went wrong.
            }
          }),
        ),
      );
    },
    get(name, opts) {
      const cached = cache.get(name);
      if (cached && !opts?.forceRefresh && cached.expiresAt > now()) return Promise.resolve(cached.value);
      // A request already on its way is at least as fresh as a forced refresh asks for.
      const pending = inFlight.get(name);
      if (pending) return pending;
      const request = fetch(name).finally(() => inFlight.delete(name));
      inFlight.set(name, request);
      return request;
    },
  };
}
