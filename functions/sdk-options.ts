/**
 * Options for the AWS SDK clients the functions call on their hot path (SQS, SSM, DynamoDB). The
 * SDK's defaults have no request timeout at all, so a hung connection would hold an invocation to
 * its Lambda timeout: ingest would then answer API Gateway's 500 instead of a 503, and deliver
 * would hand back its whole batch. Each attempt is bounded instead, and retried once.
 * `throwOnRequestTimeout`: without it, the Smithy HTTP handler only logs a warning when
 * `requestTimeout` passes and goes on waiting.
 * https://github.com/smithy-lang/smithy-typescript/blob/main/packages/types/src/http/httpHandlerInitialization.ts
 */
export const SDK_CLIENT_OPTIONS = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
} as const;
