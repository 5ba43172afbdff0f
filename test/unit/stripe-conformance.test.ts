import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { STRIPE_MAPPED_EVENT_TYPES, stripeSource, type StripeEventType } from "../../functions/sources/stripe";
import { UpsertSchema } from "../../functions/upsert";
import { stripeEvent } from "../support/stripe-events";

/**
 * Stripe's own example objects (one per API resource, from github.com/stripe/openapi fixtures3.json),
 * read in place from the shared fixtures beside the project, wrapped in each mapped event type:
 * the schemas must accept what Stripe really sends, and the mapping must give a valid upsert.
 */
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fixturesDir = path.resolve(projectRoot, "../shared/fixtures");
const fixturesFile = path.join(fixturesDir, "stripe", "fixtures3.json");

let resources: Record<string, Record<string, unknown>> | undefined;

function resource(name: string): Record<string, unknown> {
  if (!existsSync(fixturesDir)) {
    throw new Error(
      `The shared fixtures folder is missing: expected ${fixturesDir} (../shared/fixtures beside the project root) with stripe/fixtures3.json from github.com/stripe/openapi. This conformance test cannot run without it.`,
    );
  }
  resources ??= (JSON.parse(readFileSync(fixturesFile, "utf8")) as { resources: typeof resources }).resources;
  const found = resources?.[name];
  if (!found) throw new Error(`${fixturesFile} has no "${name}" resource under "resources"`);
  return structuredClone(found);
}

/** Which fixture resources each mapped event type carries; `customer.deleted` may carry either shape. */
const RESOURCES_OF: Record<StripeEventType, string[]> = {
  "customer.created": ["customer"],
  "customer.updated": ["customer"],
  "customer.deleted": ["customer", "deleted_customer"],
  "customer.subscription.created": ["subscription"],
  "customer.subscription.updated": ["subscription"],
  "customer.subscription.deleted": ["subscription"],
  "customer.subscription.trial_will_end": ["subscription"],
  "invoice.paid": ["invoice"],
  "invoice.payment_succeeded": ["invoice"],
  "invoice.payment_failed": ["invoice"],
  "checkout.session.completed": ["checkout.session"],
  "charge.refunded": ["charge"],
};

const cases = STRIPE_MAPPED_EVENT_TYPES.flatMap((type) => RESOURCES_OF[type].map((name) => [type, name] as const));
const config = loadConfig({});

describe("Stripe conformance with Stripe's published example objects", () => {
  it("covers every mapped event type", () => {
    expect(Object.keys(RESOURCES_OF).sort()).toEqual([...STRIPE_MAPPED_EVENT_TYPES].sort());
  });

  it.each(cases)("maps %s carrying Stripe's %s example to a valid upsert", (type, name) => {
    const object = resource(name);
    object.metadata = { ...(object.metadata as Record<string, string> | null | undefined), fullstory_uid: "conformance_user" };
    const parsed = stripeSource.parse(stripeEvent(type, object), { timestamp: 0 });
    if (parsed.kind !== "event") throw new Error(`${type} with ${name}: ${JSON.stringify(parsed)}`);
    const result = stripeSource.normalise(parsed.event, config);
    if (result.kind !== "mapped" || !result.mapped.patch) throw new Error(`${type} with ${name}: ${JSON.stringify(result)}`);
    const upsert = { uid: result.mapped.uid, ...result.mapped.patch };

    expect(UpsertSchema.safeParse(upsert).error).toBeUndefined();
    expect(upsert.uid).toBe("conformance_user");
    expect(Object.keys(upsert.schema?.properties ?? {}).sort()).toEqual(Object.keys(upsert.properties).sort());
    const customer = type.startsWith("customer.") && !type.startsWith("customer.subscription.") ? object.id : object.customer;
    expect(upsert.properties.stripe_customer_id ?? null).toBe(idOf(customer));
    // The identity directory learns the customer behind the uid, when the object names one.
    expect(result.mapped.subject ?? null).toBe(idOf(customer));
  });

  it("leaves Stripe's example customer to the identity directory, as its metadata holds no uid", () => {
    const parsed = stripeSource.parse(stripeEvent("customer.created", resource("customer")), { timestamp: 0 });
    if (parsed.kind !== "event") throw new Error(JSON.stringify(parsed));
    expect(stripeSource.normalise(parsed.event, config)).toMatchObject({ kind: "mapped", mapped: { uid: undefined, subject: resource("customer").id } });
  });
});

/** The id of a fixture's customer field (an id, an expanded object, or null). */
function idOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "id" in value && typeof value.id === "string") return value.id;
  return null;
}
