import type { Config } from "../../config";
import type { ParameterReader } from "../../secrets";
import type { Refresher } from "../../refresh";
import { stripeApiWithKey, type StripeApi } from "./api";
import { createStripeRefresher } from "./refresh";

/**
 * Stripe API mode from `config`: a refresher factory (one refresher per batch, over one client per
 * container), or undefined when no Stripe key is configured. `api` replaces the real client in tests.
 */
export function stripeRefresherFactory(config: Config, parameters: ParameterReader, api?: StripeApi): (() => Refresher) | undefined {
  const setting = config.stripeApi;
  if (!setting) return undefined;
  const key = setting.key;
  const getKey = key.kind === "values" ? async () => key.values[0] ?? "" : () => parameters.get(key.name);
  const client = api ?? stripeApiWithKey(getKey, setting.url);
  return () => createStripeRefresher(client, config);
}
