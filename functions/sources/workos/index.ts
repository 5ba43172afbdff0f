import type { Source } from "../types";
import { normaliseWorkos } from "./normalise";
import { WORKOS_MAPPED_EVENT_TYPES, parseWorkosEvent } from "./parse";
import type { WorkosData } from "./schema";
import { verifyWorkosSignature } from "./verify";

export { WORKOS_MAPPED_EVENT_TYPES };

/** WorkOS webhooks: `WorkOS-Signature` verification, its user and session events mapped as Clerk's are. */
export const workosSource: Source<WorkosData> = {
  name: "workos",
  verify: verifyWorkosSignature,
  parse: parseWorkosEvent,
  normalise: normaliseWorkos,
};
