import type { Source } from "../types";
import { normalisePolar } from "./normalise";
import { POLAR_MAPPED_EVENT_TYPES, parsePolarEvent } from "./parse";
import type { PolarData } from "./schema";
import { verifyPolarSignature } from "./verify";

export { POLAR_MAPPED_EVENT_TYPES };

/** Polar webhooks: Standard Webhooks with Polar's two keys, its events mapped to the billing vocabulary. */
export const polarSource: Source<PolarData> = {
  name: "polar",
  verify: verifyPolarSignature,
  parse: parsePolarEvent,
  normalise: normalisePolar,
};
