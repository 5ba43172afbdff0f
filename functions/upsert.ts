import * as z from "zod";
import { issuePaths } from "./validation";

/**
 * Fullstory V2 user upsert (`POST /v2/users`) and its documented limits, from Fullstory's OpenAPI
 * description (CreateUserRequest): uid and display_name ≤ 256 characters, email ≤ 128, at most 500
 * properties, names `^[A-Za-z][A-Za-z0-9_]*$` (≤ 512 with nested dotted paths), values ≤ 8192 bytes.
 * https://developer.fullstory.com/server/users/create-user/
 */
export const LIMITS = {
  uid: 256,
  displayName: 256,
  email: 128,
  properties: 500,
  propertyName: 512,
  valueBytes: 8192,
} as const;

export const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Fullstory's declared property types (`schema.properties`); arrays are the plural forms. */
export const PropertyTypeSchema = z.enum(["str", "strs", "bool", "bools", "real", "reals", "int", "ints", "date", "dates"]);
export type PropertyType = z.infer<typeof PropertyTypeSchema>;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const JsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonSchema), z.record(z.string(), JsonSchema)]),
);

/**
 * Whether a value's JSON fits Fullstory's per-value limit in UTF-8, serialising it only when that is
 * in doubt: deliver checks every property of every message. A number, boolean or null is at most 24
 * bytes of JSON; each UTF-16 unit of a string at most 6 (a `\uXXXX` escape), plus the quotes.
 */
function withinValueLimit(value: Json): boolean {
  if (value === null || typeof value === "number" || typeof value === "boolean") return true;
  if (typeof value === "string" && 6 * value.length + 2 <= LIMITS.valueBytes) return true;
  return Buffer.byteLength(JSON.stringify(value), "utf8") <= LIMITS.valueBytes;
}

/** Checks nested property names against Fullstory's naming rule and dotted-path length. */
function checkNames(value: Json, path: string, ctx: z.RefinementCtx, at: PropertyKey[]): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [name, inner] of Object.entries(value)) {
    const dotted = `${path}.${name}`;
    if (!PROPERTY_NAME.test(name) || dotted.length > LIMITS.propertyName) {
      ctx.addIssue({ code: "custom", message: "invalid property name", path: [...at, name] });
    }
    checkNames(inner, dotted, ctx, [...at, name]);
  }
}

export const PropertiesSchema = z.record(z.string(), JsonSchema).superRefine((props, ctx) => {
  const names = Object.keys(props);
  if (names.length > LIMITS.properties) {
    ctx.addIssue({ code: "custom", message: `more than ${LIMITS.properties} properties`, path: [] });
  }
  for (const name of names) {
    const value = props[name] as Json;
    if (!PROPERTY_NAME.test(name) || name.length > LIMITS.propertyName) {
      ctx.addIssue({ code: "custom", message: "invalid property name", path: [name] });
    }
    if (!withinValueLimit(value)) {
      ctx.addIssue({ code: "custom", message: `value larger than ${LIMITS.valueBytes} bytes`, path: [name] });
    }
    checkNames(value, name, ctx, [name]);
  }
});
export type Properties = z.infer<typeof PropertiesSchema>;

const PatchShape = {
  email: z.string().max(LIMITS.email).optional(),
  display_name: z.string().max(LIMITS.displayName).optional(),
  properties: PropertiesSchema,
  schema: z.object({ properties: z.record(z.string(), PropertyTypeSchema) }).optional(),
};

/** What an event says of its user, before the uid is known: an upsert without the uid. */
export const UserPatchSchema = z.object(PatchShape);
export type UserPatch = z.infer<typeof UserPatchSchema>;

export const UidSchema = z.string().min(1).max(LIMITS.uid);

export const UpsertSchema = z.object({ uid: UidSchema, ...PatchShape });
export type Upsert = z.infer<typeof UpsertSchema>;

/**
 * Later patches over earlier ones, as Fullstory's own merge applies them one after the other:
 * each property's last value, the last email and display name given. Used to send several events
 * of one user as one upsert with the same final result. Keys come in the schema's order, so that
 * one patch and the merge of it alone serialise alike.
 */
export function mergePatches(patches: readonly UserPatch[]): UserPatch {
  let email: string | undefined;
  let displayName: string | undefined;
  const properties: UserPatch["properties"] = {};
  let types: Record<string, PropertyType> | undefined;
  for (const patch of patches) {
    Object.assign(properties, patch.properties);
    if (patch.schema) types = { ...types, ...patch.schema.properties };
    if (patch.email !== undefined) email = patch.email;
    if (patch.display_name !== undefined) displayName = patch.display_name;
  }
  return {
    ...(email === undefined ? {} : { email }),
    ...(displayName === undefined ? {} : { display_name: displayName }),
    properties,
    ...(types === undefined ? {} : { schema: { properties: types } }),
  };
}

/**
 * Where a mapped patch breaks Fullstory's limits, as body paths under `upsert.` (empty when it
 * does not). Deliver reads every message with this schema, so neither ingest nor a re-normalising
 * redrive may queue an upsert it would refuse (say, a signed event whose values are too long).
 */
export function patchLimitIssues(patch: UserPatch): string[] {
  const checked = UserPatchSchema.safeParse(patch);
  return checked.success ? [] : issuePaths(checked.error, ["upsert"]);
}
