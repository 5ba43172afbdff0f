/**
 * The bridge's few error kinds. Each has a stable `code` (decide by code, never by message text),
 * a `retryable` verdict and an optional `cause`, in the manner of undici's `UND_ERR_*` codes.
 */
export const ErrorCode = {
  /** A setting is missing or malformed: the message says which variable to fix. */
  ConfigInvalid: "config_invalid",
  /** An SSM parameter does not exist (or the key in it is empty). */
  ParameterNotFound: "parameter_not_found",
  /** SSM could not be read right now (throttled, network): try again later. */
  ParameterUnavailable: "parameter_unavailable",
  /** The Fullstory key belongs to another data center than the stage is pinned to. */
  RegionMismatch: "region_mismatch",
  /** The queue did not take the message: nothing was acknowledged. */
  QueueUnavailable: "queue_unavailable",
  /** The message breaks one of the queue's documented limits (size, ids, attributes): sending it again cannot help. */
  QueueMessageInvalid: "queue_message_invalid",
  /** The state store (identity directory, watermarks, waiting letters) could not be read or written right now. */
  StateUnavailable: "state_unavailable",
  /** A letter is too large to wait in the state store, even compressed (DynamoDB items hold 400 KB). */
  StateItemTooLarge: "state_item_too_large",
  /** The provider's API (Stripe, in API mode) could not be asked right now: rate limited, down, or unreachable. */
  ProviderUnavailable: "provider_unavailable",
  /** The provider's API refused the key: it is wrong, revoked, or lacks a read permission. */
  ProviderUnauthorized: "provider_unauthorized",
  /** A call did not finish within the time the invocation had left for it. */
  Deadline: "deadline",
  /** A webhook signature did not verify. Never carries detail to the caller. */
  InvalidSignature: "invalid_signature",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.ParameterUnavailable,
  ErrorCode.QueueUnavailable,
  ErrorCode.StateUnavailable,
  ErrorCode.ProviderUnavailable,
  ErrorCode.ProviderUnauthorized,
  ErrorCode.Deadline,
]);

/** The one error class of the bridge; `code` says what happened, `retryable` whether waiting can help. */
export class BridgeError extends Error {
  override readonly name = "BridgeError";
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retryable = RETRYABLE.has(code);
  }
}

/** True when `err` is a BridgeError with the given code. */
export function isBridgeError(err: unknown, code?: ErrorCode): err is BridgeError {
  return err instanceof BridgeError && (code === undefined || err.code === code);
}
