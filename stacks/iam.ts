import type { StageSettings } from "./settings";

/**
 * Least-privilege grants for the bridge's functions, given as explicit `permissions` rather than
 * SST's `link`: linking a Queue grants `sqs:*` on it, so ingest could receive and purge and
 * deliver could send to the main queue. https://sst.dev/docs/component/aws/queue (getSSTLink)
 */

/** The ARN of an SSM parameter of this account and region; `name` starts with a slash. */
export function parameterArn(name: string) {
  const partition = aws.getPartitionOutput().partition;
  const region = aws.getRegionOutput().region;
  const account = aws.getCallerIdentityOutput().accountId;
  return $interpolate`arn:${partition}:ssm:${region}:${account}:parameter${name}`;
}

/**
 * `ssm:GetParameter` on exactly the named parameters (and `ssm:GetParameters`, when a function
 * reads several at once), and `kms:Decrypt` of the stage's parameter key only when SSM asks on
 * the function's behalf (WithDecryption). The AWS managed key's own policy already allows that; a
 * customer managed key needs this grant.
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export function readParameters(names: string[], settings: StageSettings, { together = false } = {}) {
  const key = aws.kms.getKeyOutput({ keyId: settings.parameterKmsKey });
  const region = aws.getRegionOutput().region;
  return [
    { actions: together ? ["ssm:GetParameter", "ssm:GetParameters"] : ["ssm:GetParameter"], resources: names.map(parameterArn) },
    {
      actions: ["kms:Decrypt"],
      resources: [key.arn],
      conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [$interpolate`ssm.${region}.amazonaws.com`] }],
    },
  ];
}
