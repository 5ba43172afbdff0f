import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { DEFAULT_MAX_BODY_BYTES, type SourceName } from "../../functions/config";
import { clerkEmailAddress, clerkEvent, clerkUser } from "../support/clerk-events";
import { OBJECT_CREATED, customerObject, stripeEvent } from "../support/stripe-events";
import { chargebeeAuthorization, paddleSignatureHeader } from "../../tools/sign";
import { chargebeeCustomer, chargebeeEvent, RESOURCE_VERSION } from "../support/chargebee-events";
import { paddleCustomer, paddleEvent } from "../support/paddle-events";

/**
 * What the soak sends: signed webhooks from every source, in a known order per uid. Each uid
 * belongs to one source and gets events numbered 1, 2, 3…, each carrying its number (a `seq`
 * property, or `v<n>` in the display name), so the last one sent is recognisable in Fullstory.
 * A few events are meant to end as dead letters: Stripe events without a uid (`uid_unresolved`,
 * parked by ingest) and upserts for uids the Fullstory fake always refuses (`rejected`, parked by deliver).
 */

export const SOAK_SECRETS = {
  stripe: "whsec_soak_stripe_secret",
  clerk: `whsec_${Buffer.from("soak-clerk-secret-0123456789").toString("base64")}`,
  standard: `whsec_${Buffer.from("soak-standard-secret-0123456789").toString("base64")}`,
  paddle: "pdl_ntfset_01soakpaddle_secretkey0123456789",
  chargebee: "soak:chargebee-password-0123456789",
} as const satisfies Record<SourceName, string>;

export type EventKind = "normal" | "unresolved" | "rejected";

/** A body this close to the default body limit (128 KiB) is "near the limit" in a soak. */
export const NEAR_LIMIT_BYTES = 120 * 1024;

export interface PlannedEvent {
  source: SourceName;
  /** The event id in the body (Stripe, Paddle, Chargebee), or the Standard Webhooks `webhook-id`. */
  id: string;
  /** Null for events without a Fullstory uid. */
  uid: string | null;
  seq: number;
  kind: EventKind;
  payload: string;
}

/**
 * Properties that bring a standard upsert near the body limit: strings of up to 8 000 characters
 * (Fullstory's limit per value is 8 192 bytes) with quotes and backslashes, which JSON escapes
 * again in the queue message's `raw`.
 */
function padding(bytes: number): Record<string, string> {
  const out: Record<string, string> = {};
  const chunk = 'a"b\\c '.repeat(1_000).slice(0, 7_000);
  for (let i = 0; JSON.stringify(out).length + JSON.stringify(chunk).length + 16 < bytes; i++) out[`pad_${i}`] = chunk;
  return out;
}

export interface Plan {
  /** One list per sender: a uid's events are all in one list, in order. */
  lanes: PlannedEvent[][];
  events: PlannedEvent[];
  /** The uids of normal events, each with its source. */
  uids: Map<string, SourceName>;
}

/** Uids whose upserts the Fullstory fake answers with a permanent 400. */
export const REJECTED_UID = /-reject-\d+$/;

const SOURCES: SourceName[] = ["standard", "stripe", "clerk", "paddle", "chargebee"];

/** Event ids as each source writes them in the body; Standard Webhooks sources carry theirs in a header. */
const ID_PREFIX: Partial<Record<SourceName, string>> = { stripe: "evt", paddle: "evt", chargebee: "ev" };

/** The webhook body of one event, following each source's documented shape. */
function payloadOf(source: SourceName, uid: string | null, index: number, seq: number, id: string, large: boolean): string {
  const email = `soak-user-${index}@soak.example.com`;
  if (source === "standard") {
    const properties = { seq, plan: `plan_${seq % 4}`, seats: seq, ...(large ? padding(DEFAULT_MAX_BODY_BYTES - 2_048) : {}) };
    return JSON.stringify({ uid, email, display_name: `Soak ${index} v${seq}`, properties });
  }
  if (source === "stripe") {
    const customer = customerObject({
      id: `cus_soak_${index}`,
      email,
      name: `Soak ${index} v${seq}`,
      created: OBJECT_CREATED + seq,
      metadata: uid === null ? {} : { fullstory_uid: uid },
    });
    return JSON.stringify(stripeEvent("customer.updated", customer, { id, livemode: false }));
  }
  if (source === "paddle") {
    // Ordered by occurred_at: each event of a uid a second after the one before.
    const customer = paddleCustomer({ id: `ctm_soak${index}`, email, name: `Soak ${index} v${seq}`, custom_data: uid === null ? null : { fullstory_uid: uid } });
    return JSON.stringify(paddleEvent("customer.updated", customer, { event_id: id, occurred_at: new Date(1_718_000_000_000 + seq * 1000).toISOString() }));
  }
  if (source === "chargebee") {
    // Ordered by the customer's resource_version; the customer id is the uid (CHARGEBEE_UID_FIELD=id).
    const customer = chargebeeCustomer({ id: uid, email, first_name: "Soak", last_name: `${index} v${seq}`, resource_version: RESOURCE_VERSION + seq });
    return JSON.stringify(chargebeeEvent("customer_changed", { customer }, { id }));
  }
  const user = clerkUser({
    id: uid,
    first_name: "Soak",
    last_name: `${index} v${seq}`,
    primary_email_address_id: `idn_soak_${index}`,
    email_addresses: [clerkEmailAddress(`idn_soak_${index}`, email)],
    last_sign_in_at: 1_718_000_000_000 + seq * 1000,
  });
  return JSON.stringify(clerkEvent("user.updated", user));
}

/**
 * Plans `events` events over `uids` uids for `lanes` concurrent senders: about 2 % without a uid,
 * about 1 % for uids Fullstory refuses, the rest spread round-robin over the uids. `runId` keeps
 * the uids and event ids of separate runs apart.
 */
export function planEvents({ events, uids, lanes, runId }: { events: number; uids: number; lanes: number; runId: string }): Plan {
  const unresolved = Math.max(1, Math.round(events * 0.02));
  const rejected = Math.max(1, Math.round(events * 0.01));
  const normal = events - unresolved - rejected;
  if (normal < uids) throw new Error(`${events} events are too few for ${uids} uids`);
  const plan: Plan = { lanes: Array.from({ length: lanes }, () => []), events: [], uids: new Map() };
  const add = (lane: number, e: Omit<PlannedEvent, "id" | "payload">, index: number) => {
    const n = plan.events.length;
    const id = `${ID_PREFIX[e.source] ?? "msg"}_${runId}_${n}`;
    // Every event of one uid in forty is a large body, its last one included (Fullstory merges
    // properties, and the check compares the user with the last event). Uids 0, 40, 80… are
    // standard ones (every fifth uid is), whose large bodies are near the limit.
    const event = { ...e, id, payload: payloadOf(e.source, e.uid, index, e.seq, id, index % 40 === 0) };
    plan.events.push(event);
    plan.lanes[lane % lanes]?.push(event);
  };
  // Round-robin by sequence number, so every uid has events queued behind each other throughout.
  for (let n = 0; n < normal; n++) {
    const index = n % uids;
    const uid = `soak-${runId}-u${index}`;
    const source = SOURCES[index % SOURCES.length] as SourceName;
    plan.uids.set(uid, source);
    add(index, { source, uid, seq: Math.floor(n / uids) + 1, kind: "normal" }, index);
  }
  for (let n = 0; n < unresolved; n++) add(n, { source: "stripe", uid: null, seq: 1, kind: "unresolved" }, uids + n);
  for (let n = 0; n < rejected; n++) {
    add(n, { source: "standard", uid: `soak-${runId}-reject-${n}`, seq: 1, kind: "rejected" }, uids + unresolved + n);
  }
  return plan;
}

const stripe = new Stripe("sk_test_unused");

/**
 * The signature headers for `event`, made now: by the official stripe or standardwebhooks library,
 * or, for Paddle and Chargebee (whose libraries only verify), by the send tool's signer that tests
 * check against them.
 */
export function signatureHeaders(event: PlannedEvent): Record<string, string> {
  if (event.source === "paddle") return { "paddle-signature": paddleSignatureHeader(event.payload, SOAK_SECRETS.paddle, Math.floor(Date.now() / 1000)) };
  if (event.source === "chargebee") return { authorization: chargebeeAuthorization(SOAK_SECRETS.chargebee) };
  if (event.source === "stripe") {
    return { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: event.payload, secret: SOAK_SECRETS.stripe }) };
  }
  const now = new Date();
  return {
    "webhook-id": event.id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(SOAK_SECRETS[event.source]).sign(event.id, now, event.payload),
  };
}
