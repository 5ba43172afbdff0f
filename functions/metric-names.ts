/**
 * The names of the bridge's metrics, its CloudWatch namespace and its `service` dimension, apart
 * from the code that emits them (functions/metrics.ts) so that the stacks' alarms and dashboard
 * (stacks/monitoring.ts) and `npm run status` name the same metrics without importing Powertools.
 */
export const METRICS_NAMESPACE = "FullstoryWebhookBridge";
export const METRICS_SERVICE = "fullstory-webhook-bridge";

/** Every metric the bridge emits (Count unless it says ms). */
export const METRIC = {
  webhooksAccepted: "webhooks_accepted",
  webhooksIgnored: "webhooks_ignored",
  webhooksInvalidSignature: "webhooks_invalid_signature",
  webhooksInvalidPayload: "webhooks_invalid_payload",
  webhooksTooLarge: "webhooks_too_large",
  webhooksUnavailable: "webhooks_unavailable",
  deliveriesDelivered: "deliveries_delivered",
  deliveriesRetried: "deliveries_retried",
  deliveriesStale: "deliveries_stale",
  deliveriesDeadLettered: "deliveries_dead_lettered",
  fullstoryLatency: "fullstory_latency_ms",
  fullstory2xx: "fullstory_responses_2xx",
  fullstory4xx: "fullstory_responses_4xx",
  fullstory5xx: "fullstory_responses_5xx",
  fullstoryNoAnswer: "fullstory_no_answer",
  stripeApiCalls: "stripe_api_calls",
  lifecycleEventsSent: "lifecycle_events_sent",
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC] | `dead_letters_${string}`;

