import type { Source } from "../types";
import { normaliseStripe } from "./normalise";
import { parseStripeEvent, STRIPE_MAPPED_EVENT_TYPES } from "./parse";
import type { StripeData } from "./schema";
import { verifyStripeSignature } from "./verify";

export { STRIPE_MAPPED_EVENT_TYPES };
export type { StripeData, StripeEventType } from "./schema";

/** Stripe webhooks: `Stripe-Signature` verification, the event envelope, and the default mapping. */
export const stripeSource: Source<StripeData> = {
  name: "stripe",
  verify: verifyStripeSignature,
  parse: parseStripeEvent,
  normalise: normaliseStripe,
};
