import type { Config } from "../functions/config";
import { messageGroupId, type QueueMessage } from "../functions/message";
import { findSource } from "../functions/sources";
import { upsertLimitIssues } from "../functions/upsert";
import type { Verified } from "../functions/sources/types";

/** What re-normalising a dead letter came to: a new message to queue, or why it stays where it is. */
export type Renormalised =
  | { kind: "message"; message: QueueMessage; groupId: string }
  | { kind: "unresolved" }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; issues: string[] };

/**
 * Rebuilds a queued message's upsert from its kept `raw` body with today's mapping and `config`
 * (say, after STRIPE_UID_METADATA_KEYS gained the key an event carries). The signature is not
 * checked again: the raw body was verified when it arrived, and the signature headers were not
 * kept. Standard Webhooks sources take their event id and timestamp from those headers, so the
 * verified fields are rebuilt from the message itself (`event_id`, `occurred_at`), which is what
 * parse made of them the first time. The event id stays the same, so Fullstory's Idempotency-Key
 * (source + event id + uid) is unchanged for an unchanged uid.
 */
export function renormalise(message: QueueMessage, config: Config): Renormalised {
  const source = findSource(message.source);
  if (!source) return { kind: "invalid", issues: ["source"] };
  let body: unknown;
  try {
    body = JSON.parse(message.raw);
  } catch {
    return { kind: "invalid", issues: ["raw"] };
  }
  const verified: Verified = { id: message.event_id, timestamp: Math.floor(Date.parse(message.occurred_at) / 1000) };
  const parsed = source.parse(body, verified);
  if (parsed.kind !== "event") return parsed;
  const normalised = source.normalise(parsed.event, config);
  if (normalised.kind !== "upsert") return normalised;
  const issues = upsertLimitIssues(normalised.upsert);
  if (issues.length > 0) return { kind: "invalid", issues };
  const rebuilt: QueueMessage = { ...message, upsert: normalised.upsert };
  return { kind: "message", message: rebuilt, groupId: messageGroupId(normalised.upsert.uid, message.source, message.event_id) };
}
