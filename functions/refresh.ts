import type { QueueMessage } from "./message";
import type { Mapped, Refresh } from "./sources/types";
import type { UserPatch } from "./upsert";

export interface RefreshOptions {
  /** Milliseconds the provider's API may take, at most. */
  timeoutMs?: number;
}

/** The state API mode found: what to write, and the time (ms since the epoch) that state is as of. */
export interface CurrentState {
  patch: UserPatch;
  asOf: number;
}

/**
 * API mode of one source: what the provider holds now, written instead of an event's snapshot
 * (Stripe, with a read-only key). A refresher is made per batch, so that several events of one
 * account in a batch cost one fetch. "missing": the object no longer exists at the provider.
 */
export interface Refresher {
  /** The mapping of an event that carries no state of its own (a thin event), from its object as the provider holds it now. */
  expand(message: QueueMessage, options?: RefreshOptions): Promise<Mapped | "missing">;
  /** The current state behind `refresh` (see the source's refresh families). */
  current(refresh: Refresh, eventAt: number, options?: RefreshOptions): Promise<CurrentState | "missing">;
  /** The uid the provider's own record of `subject` names (Stripe: the Customer's metadata), if any. */
  uidOf(subject: string, options?: RefreshOptions): Promise<string | undefined>;
}
