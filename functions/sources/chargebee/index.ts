import type { Source } from "../types";
import { normaliseChargebee } from "./normalise";
import { CHARGEBEE_MAPPED_EVENT_TYPES, parseChargebeeEvent } from "./parse";
import type { ChargebeeData } from "./schema";
import { verifyChargebeeAuth } from "./verify";

export { CHARGEBEE_MAPPED_EVENT_TYPES };
export type { ChargebeeData, ChargebeeEventType } from "./schema";

/** Chargebee webhooks: HTTP Basic credentials, the event envelope, and the vocabulary mapping. */
export const chargebeeSource: Source<ChargebeeData> = {
  name: "chargebee",
  unsignedBody: true,
  verify: verifyChargebeeAuth,
  parse: parseChargebeeEvent,
  normalise: normaliseChargebee,
};
