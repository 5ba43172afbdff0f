import type { SourceName } from "../../functions/config";
import type { UserPatch } from "../../functions/upsert";

/**
 * What the backfill asks of a source: its accounts, page by page, each mapped to exactly the patch
 * the webhook path would write for its current state. A new source is one more implementation of
 * this interface (tools/backfill/<source>.ts) and one line in the CLI's table.
 */

/** Where a source's reading stands, as JSON kept in the checkpoint; only the source reads it. */
export type Cursor = string | number | boolean | null | Cursor[] | { [key: string]: Cursor };

/** One customer or user, mapped. */
export interface BackfillRecord {
  /** The provider's id of the account (Stripe customer, Clerk user): the identity directory's subject. */
  subject: string;
  /** The uid the provider's own record names; absent, the identity directory is asked. */
  uid?: string;
  patch: UserPatch;
  /** Where reading resumes after this record. */
  cursor: Cursor;
}

export interface SourcePage {
  records: BackfillRecord[];
  /** Nothing is left after this page. */
  done: boolean;
}

export interface PageRequest {
  /** Undefined: from the start. */
  cursor: Cursor | undefined;
  /** At most this many records. */
  limit: number;
  /** Only accounts created at or after this time. */
  since?: Date;
}

export interface BackfillSource {
  name: Extract<SourceName, "stripe" | "clerk">;
  /** What one account is called in messages ("customer", "user"). */
  noun: string;
  /** Records after `cursor`, in the provider's order; retries its own rate limits. */
  page(request: PageRequest): Promise<SourcePage>;
  /** Where the uid is looked for, for the summary's line on unresolved accounts. */
  uidHint: string;
}
