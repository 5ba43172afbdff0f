import type { Source } from "../types";
import { normaliseLemonSqueezy } from "./normalise";
import { LEMONSQUEEZY_MAPPED_EVENT_TYPES, parseLemonSqueezyEvent } from "./parse";
import type { LemonSqueezyData } from "./schema";
import { verifyLemonSqueezySignature } from "./verify";

export { LEMONSQUEEZY_MAPPED_EVENT_TYPES };

/** Lemon Squeezy webhooks: `X-Signature` verification, the JSON:API body, and the billing vocabulary. */
export const lemonsqueezySource: Source<LemonSqueezyData> = {
  name: "lemonsqueezy",
  verify: verifyLemonSqueezySignature,
  parse: parseLemonSqueezyEvent,
  normalise: normaliseLemonSqueezy,
};
