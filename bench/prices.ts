/**
 * AWS list prices the cost table uses (bench/cost.ts): US East (N. Virginia), Lambda on arm64,
 * on-demand, first pricing tier, no free tier (it is per account and month, not per event). To
 * update: change the figures and `asOf` together, and say where each came from.
 *
 * Checked on 2026-11-30. AWS's own pricing pages could be read only in part from where this was
 * written (no direct access to aws.amazon.com), so each figure says how far it was confirmed:
 *
 * - API Gateway HTTP API, $1.00 per million requests (first 300 million a month; $0.90 after),
 *   each request metered in 512 KB increments: AWS's whitepaper "Best Practices for Designing
 *   Amazon API Gateway Private APIs and Private Integration", Cost optimization, table 4,
 *   https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html
 *   (the pricing page itself: https://aws.amazon.com/api-gateway/pricing/). Confirmed.
 * - Lambda, arm64: $0.20 per million requests and $0.0000133334 per GB-second (first 7.5 billion
 *   GB-seconds a month), duration rounded up to the millisecond: https://aws.amazon.com/lambda/pricing/
 *   states the billing rules; the figures themselves were read from third-party copies of that
 *   page (https://cloudchipr.com/blog/aws-lambda-pricing, among others). Not confirmed on AWS's page.
 * - SQS FIFO: $0.50 per million requests, each 64 KB chunk of a request's payload counted as one
 *   request: https://aws.amazon.com/sqs/pricing/, figures read from third-party copies dated 2026
 *   (https://cloudburn.io/blog/amazon-sqs-pricing). Not confirmed on AWS's page.
 * - DynamoDB on-demand: $0.125 per million read request units and $0.625 per million write request
 *   units (the prices since the cut of 2024-11-01): https://aws.amazon.com/dynamodb/pricing/on-demand/,
 *   figures read from third-party pages (https://airbyte.com/data-engineering-resources/dynamodb-pricing).
 *   Not confirmed on AWS's page. What a unit is: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * - SSM Parameter Store: standard parameters at standard throughput cost nothing ("No additional
 *   charge", https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html;
 *   "without additional cost", https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-throughput.html).
 *   Confirmed. Higher throughput (not needed here) is charged per API interaction.
 * - CloudWatch Logs, what the functions write: $0.50 per GB ingested (the first tier of the
 *   tiered price Lambda's logs have had since 2025-05-01; GB here is 2^30 bytes): https://aws.amazon.com/cloudwatch/pricing/,
 *   figure read from third-party pages (https://www.duckbillgroup.com/?p=9080). Not confirmed on
 *   AWS's page. Not in the list, but a million events write a gigabyte or so of logs.
 * - KMS: each GetParameter of a SecureString with decryption is a KMS Decrypt, $0.03 per 10 000
 *   requests (20 000 free a month): https://aws.amazon.com/kms/pricing/ (the free tier was read
 *   there; the price from https://www.wring.co/blog/aws-kms-pricing-guide). Not confirmed on AWS's page.
 */
export const PRICES = {
  asOf: "2026-11-30",
  region: "us-east-1",
  apiGatewayHttpPerMillionRequests: 1.0,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  sqsFifoPerMillionRequests: 0.5,
  dynamoPerMillionReadUnits: 0.125,
  dynamoPerMillionWriteUnits: 0.625,
  ssmStandardGetParameter: 0,
  kmsPerTenThousandRequests: 0.03,
  cloudWatchLogsPerGbIngested: 0.5,
} as const;

export type Prices = typeof PRICES;
