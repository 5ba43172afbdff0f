import type { Config } from "../../config";
import type { ParameterReader } from "../../secrets";
import type { Refresher } from "../../refresh";
import { stripeApiWithKey, type StripeApi } from "./api";
import { createStripeRefresher } from "./refresh";

/**
 * Stripe API mode from `config`: a refresher factory (one refresher per batch, over one client per
 * container), or undefined when no Stripe key is configured. `api` replaces the real client in
 * tests; `onCall` is told of each call made to Stripe (the metrics count them).
 */
export function stripeRefresherFactory(config: Config, parameters: ParameterReader, api?: StripeApi, onCall?: () => void): (() => Refresher) | undefined {
  const setting = config.stripeApi;
  if (!setting) return undefined;
  const key = setting.key;
  const getKey = key.kind === "values" ? async () => key.values[0] ?? "" : () => parameters.get(key.name);
  const client = api ?? stripeApiWithKey(getKey, setting.url);
  const counted = onCall ? countCalls(client, onCall) : client;
  return () => createStripeRefresher(counted, config);
}

/** `api` with `onCall` told before each of its calls. */
function countCalls(api: StripeApi, onCall: () => void): StripeApi {
  const counted = {} as Record<keyof StripeApi, unknown>;
  for (const name of Object.keys(api) as (keyof StripeApi)[]) {
    const method = api[name] as (...args: unknown[]) => unknown;
    counted[name] = (...args: unknown[]) => {
      onCall();
      return method.apply(api, args);
    };
  }
  return counted as StripeApi;
}
