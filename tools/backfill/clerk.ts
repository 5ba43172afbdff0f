import * as z from "zod";
import type { Config } from "../../functions/config";
import { ClerkUserSchema, clerkSource, type ClerkEvent } from "../../functions/sources/clerk";
import { issuePaths } from "../../functions/validation";
import type { ClerkApi } from "./clerk-api";
import { bridgeVerdict, retrying, type Waits } from "./retry";
import type { BackfillRecord, BackfillSource, Cursor } from "./source";

/** Clerk's largest page. https://clerk.com/docs/reference/backend-api/tag/users/get/users */
const PAGE = 500;

/**
 * Where reading stands: the `created_at` (ms) of the last user read, and how many users with
 * exactly that `created_at` were read. The next page asks for users created after `at - 1` (so
 * from `at` on), skipping those `seen`: a user deleted meanwhile cannot shift the pages under the
 * cursor, as a plain offset over the whole list would, and the offset stays small.
 */
const ClerkCursorSchema = z.object({ at: z.number().int(), seen: z.number().int().nonnegative() });
type ClerkCursor = z.infer<typeof ClerkCursorSchema>;

export interface ClerkBackfillOptions {
  api: ClerkApi;
  /** `CLERK_UID_FIELD` and the other mapping settings, as the webhook path reads them. */
  config: Config;
  waits: Waits;
  now?: () => number;
}

/**
 * Every Clerk user, oldest first, mapped by the webhook path's own code: each user goes through the
 * `clerk` source's normalise as the `data` of a `user.updated` event, so the backfilled user has
 * the email, display name, `signed_up_at`, `last_sign_in_at` and `email_verified` a webhook
 * writes, and the uid `CLERK_UID_FIELD` names (else the identity directory's, as for a webhook).
 */
export function clerkBackfillSource({ api, config, waits, now = Date.now }: ClerkBackfillOptions): BackfillSource {
  const mapUser = (raw: unknown): BackfillRecord & { createdAt: number } => {
    const parsed = ClerkUserSchema.safeParse(raw);
    if (!parsed.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      throw new Error(`Clerk user ${typeof id === "string" ? id : "(no id)"} does not have the shape the mapping reads: ${issuePaths(parsed.error).join(", ")}`);
    }
    const user = parsed.data;
    const data: ClerkEvent = { object: "event", type: "user.updated", data: user };
    const normalised = clerkSource.normalise({ id: `backfill_${user.id}`, type: "user.updated", occurredAt: new Date(now()).toISOString(), data }, config);
    if (normalised.kind !== "mapped" || normalised.mapped.patch === null) throw new Error(`Clerk user ${user.id} could not be mapped.`);
    const { uid, patch } = normalised.mapped;
    return { subject: user.id, ...(uid === undefined ? {} : { uid }), patch, cursor: null, createdAt: user.created_at };
  };

  return {
    name: "clerk",
    noun: "user",
    uidHint:
      config.clerkUidField === "external_id" ? "no external_id on the Clerk user, and none in the identity directory" : "no usable id on the Clerk user",
    async page({ cursor, limit, since }) {
      const start: ClerkCursor | undefined = cursor === undefined ? (since ? { at: since.getTime(), seen: 0 } : undefined) : ClerkCursorSchema.parse(cursor);
      const size = Math.min(PAGE, limit);
      const users = await retrying(
        "Clerk users",
        () => api.users({ limit: size, offset: start?.seen ?? 0, ...(start ? { createdAfter: start.at - 1 } : {}) }),
        bridgeVerdict,
        waits,
      );
      let at = start?.at;
      let seen = start?.seen ?? 0;
      const records: BackfillRecord[] = [];
      for (const raw of users.slice(0, size)) {
        const { createdAt, ...record } = mapUser(raw);
        if (createdAt === at) seen++;
        else {
          at = createdAt;
          seen = 1;
        }
        records.push({ ...record, cursor: { at, seen } satisfies Cursor });
      }
      return { records, done: users.length < size };
    },
  };
}
