import type { SourceName } from "../config";
import { chargebeeSource } from "./chargebee";
import { clerkSource } from "./clerk";
import { paddleSource } from "./paddle";
import { lemonsqueezySource } from "./lemonsqueezy";
import { polarSource } from "./polar";
import { standardSource } from "./standard";
import { stripeSource } from "./stripe";
import type { Source } from "./types";
import { workosSource } from "./workos";

/** Every source the bridge knows, by the `{source}` path segment of `POST /webhooks/{source}`. */
export const SOURCES: Readonly<Record<SourceName, Source>> = {
  stripe: stripeSource as Source,
  clerk: clerkSource as Source,
  standard: standardSource as Source,
  paddle: paddleSource as Source,
  chargebee: chargebeeSource as Source,
  lemonsqueezy: lemonsqueezySource as Source,
  polar: polarSource as Source,
  workos: workosSource as Source,
};

/** The source registered under `name`, or undefined for an unknown path segment. */
export function findSource(name: string): Source | undefined {
  return Object.hasOwn(SOURCES, name) ? SOURCES[name as SourceName] : undefined;
}
