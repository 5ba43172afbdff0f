import type { BurstUsage } from "./burst";
import type { Prices } from "./prices";
import { round } from "./stats";

/** Dollars per million events, by what AWS bills, and their sum. */
export interface CostPerMillion {
  usd_per_million_events: number;
  api_gateway: number;
  lambda_requests: number;
  lambda_duration: number;
  sqs: number;
  dynamodb: number;
  ssm_kms: number;
  cloudwatch_logs: number;
}

const GB = 2 ** 30;

/**
 * What a million events cost at `prices`, scaled from the requests, the billed Lambda time and the
 * log bytes `usage` counted for `events` events, both functions at `memoryMb`. The SSM calls are
 * those of the run's containers (one of each): on Lambda they grow with the containers, not the
 * events. Not counted: data sent out to Fullstory and Stripe, storage, alarms, free tiers.
 */
export function costPerMillion(usage: BurstUsage, events: number, memoryMb: number, prices: Prices): CostPerMillion {
  const perMillion = (count: number, pricePerMillion: number) => (count / events) * pricePerMillion;
  const gbSeconds = ((usage.ingest_billed_ms + usage.deliver_billed_ms) / 1000) * (memoryMb / 1024);
  const parts = {
    api_gateway: perMillion(usage.api_requests, prices.apiGatewayHttpPerMillionRequests),
    lambda_requests: perMillion(usage.ingest_invocations + usage.deliver_invocations, prices.lambdaPerMillionRequests),
    lambda_duration: (gbSeconds / events) * 1e6 * prices.lambdaArmPerGbSecond,
    sqs: perMillion(usage.sqs_requests, prices.sqsFifoPerMillionRequests),
    dynamodb: perMillion(usage.dynamo_read_units, prices.dynamoPerMillionReadUnits) + perMillion(usage.dynamo_write_units, prices.dynamoPerMillionWriteUnits),
    ssm_kms: perMillion(usage.ssm_calls, prices.ssmStandardGetParameter + prices.kmsPerTenThousandRequests * 100),
    cloudwatch_logs: ((usage.log_bytes / events) * 1e6 / GB) * prices.cloudWatchLogsPerGbIngested,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  const rounded = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v, 4)])) as Omit<CostPerMillion, "usd_per_million_events">;
  return { usd_per_million_events: round(total, 3), ...rounded };
}
