import * as z from "zod";
import { PropertiesSchema, UpsertSchema, type Upsert } from "../upsert";
import { issuePaths } from "../validation";
import { standardWebhookId, verifyStandardWebhook } from "./standard-webhooks";
import type { Parsed, Source, Verified } from "./types";

/**
 * The team's own backend sends canonical upserts, so the body is checked against Fullstory's limits
 * here, at the edge, where a 400 tells the sender what to fix, rather than failing later at
 * delivery. Unknown fields are refused, each at its own path (a strict object would report them all
 * at the root, unnamed): a misspelt `displayName` must not be dropped silently.
 */
const BodyShape = { ...UpsertSchema.shape, properties: PropertiesSchema.default({}) };
const StandardBodySchema = z.looseObject(BodyShape).superRefine((body, ctx) => {
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(BodyShape, key)) ctx.addIssue({ code: "custom", message: "unknown field", path: [key] });
  }
});

const STANDARD_EVENT_TYPE = "upsert";

function parse(body: unknown, verified: Verified): Parsed<Upsert> {
  const parsed = StandardBodySchema.safeParse(body);
  if (!parsed.success) return { kind: "invalid", issues: issuePaths(parsed.error) };
  return {
    kind: "event",
    event: {
      id: standardWebhookId(verified),
      type: STANDARD_EVENT_TYPE,
      occurredAt: new Date(verified.timestamp * 1000).toISOString(),
      data: parsed.data,
    },
  };
}

/** The `standard` source: a Standard Webhooks-signed body that already is a Fullstory user upsert. */
export const standardSource: Source<Upsert> = {
  name: "standard",
  verify: verifyStandardWebhook,
  parse,
  // The team's own backend names the user; its upserts are partial and not ordered against each other.
  normalise: ({ data: { uid, ...patch } }) => ({ kind: "mapped", mapped: { uid, patch } }),
};
