import { createHash, createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { DEFAULT_MAX_BODY_BYTES, type SourceName } from "../../functions/config";
import { clerkEmailAddress, clerkEvent, clerkUser } from "../support/clerk-events";
import { lemonSqueezyEvent, lsSubscription } from "../support/lemonsqueezy-events";
import { polarCustomer, polarEvent, polarSubscription } from "../support/polar-events";
import { OBJECT_CREATED, customerObject, stripeEvent } from "../support/stripe-events";
import { chargebeeAuthorization, paddleSignatureHeader } from "../../tools/sign";
import { chargebeeCustomer, chargebeeEvent, RESOURCE_VERSION } from "../support/chargebee-events";
import { paddleCustomer, paddleEvent } from "../support/paddle-events";
import { workosEvent, workosUser } from "../support/workos-events";

/**
 * What the soak sends: signed webhooks from every source, in a known order per uid. Each uid
 * belongs to one source and gets events numbered 1, 2, 3…, each carrying its number (a `seq`
 * property, or `v<n>` in the display name), so the last one sent is recognisable in Fullstory.
 * A uid's first Clerk or WorkOS event is a signup, which gives one lifecycle event.
 * A few events are meant to end as dead letters: Stripe events without a uid (`uid_unresolved`,
 * parked by ingest) and upserts for uids the Fullstory fake always refuses (`rejected`, parked by deliver).
 */

export const SOAK_SECRETS = {
  stripe: "whsec_soak_stripe_secret",
  clerk: `whsec_${Buffer.from("soak-clerk-secret-0123456789").toString("base64")}`,
  standard: `whsec_${Buffer.from("soak-standard-secret-0123456789").toString("base64")}`,
  paddle: "pdl_ntfset_01soakpaddle_secretkey0123456789",
  chargebee: "soak:chargebee-password-0123456789",
  lemonsqueezy: "soak-lemonsqueezy-secret",
  polar: `whsec_${Buffer.from("soak-polar-secret-0123456789").toString("base64")}`,
  workos: "soak-workos-secret",
} as const satisfies Record<SourceName, string>;

export type EventKind = "normal" | "unresolved" | "rejected";

/** A body this close to the default body limit (128 KiB) is "near the limit" in a soak. */
export const NEAR_LIMIT_BYTES = 120 * 1024;

export interface PlannedEvent {
  source: SourceName;
  /** The event id in the body (Stripe, Paddle, Chargebee, WorkOS), the Standard Webhooks `webhook-id`, or (Lemon Squeezy) the body's hash. */
  id: string;
  /** Null for events without a Fullstory uid. */
  uid: string | null;
  seq: number;
  kind: EventKind;
  payload: string;
  /** The lifecycle events (default names) this event must give Fullstory, when they are on. */
  lifecycle: string[];
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

const SOURCES: SourceName[] = ["standard", "stripe", "clerk", "paddle", "chargebee", "lemonsqueezy", "polar", "workos"];

/** Event ids as each source writes them in the body; Standard Webhooks sources carry theirs in a header. */
const ID_PREFIX: Partial<Record<SourceName, string>> = { stripe: "evt", paddle: "evt", chargebee: "ev", workos: "event" };

/** 2025-01-01T00:00:00Z: event `seq` of a uid happened `seq` seconds after it, so each uid's events are in time order. */
const SOAK_EPOCH_MS = Date.parse("2025-01-01T00:00:00Z");
const at = (seq: number) => new Date(SOAK_EPOCH_MS + seq * 1000).toISOString();

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
  if (source === "lemonsqueezy") {
    const subscription = lsSubscription({
      customer_id: 10_000 + index,
      user_name: `Soak ${index} v${seq}`,
      user_email: email,
      first_subscription_item: { id: index, subscription_id: index, price_id: 1, quantity: seq, is_usage_based: false, created_at: at(0), updated_at: at(seq) },
      updated_at: at(seq),
    });
    return JSON.stringify(lemonSqueezyEvent("subscription_updated", "subscription", subscription, { custom_data: uid === null ? null : { fullstory_uid: uid } }));
  }
  if (source === "polar") {
    const customer = polarCustomer({ id: `soak-customer-${index}`, external_id: uid, email, name: `Soak ${index} v${seq}` });
    return JSON.stringify(polarEvent("subscription.updated", polarSubscription({ customer_id: `soak-customer-${index}`, customer, seats: seq }), at(seq)));
  }
  if (source === "workos") {
    const user = workosUser({ id: uid, email, first_name: "Soak", last_name: `${index} v${seq}`, last_sign_in_at: at(seq) });
    return JSON.stringify(workosEvent(seq === 1 ? "user.created" : "user.updated", user, { id, created_at: at(seq) }));
  }
  const user = clerkUser({
    id: uid,
    first_name: "Soak",
    last_name: `${index} v${seq}`,
    primary_email_address_id: `idn_soak_${index}`,
    email_addresses: [clerkEmailAddress(`idn_soak_${index}`, email)],
    last_sign_in_at: 1_718_000_000_000 + seq * 1000,
  });
  // A uid's first Clerk event is its signup: one `Signed Up` lifecycle event (WorkOS's likewise).
  return JSON.stringify(clerkEvent(seq === 1 ? "user.created" : "user.updated", user));
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
  const add = (lane: number, e: Omit<PlannedEvent, "id" | "payload" | "lifecycle">, index: number) => {
    const n = plan.events.length;
    const given = `${ID_PREFIX[e.source] ?? "msg"}_${runId}_${n}`;
    // One uid in seven gets large bodies, which the standard source (one uid in eight) makes near
    // the limit; seven shares no factor with the number of sources, so standard uids get their
    // share. A uid's bodies are all large or all small: Fullstory keeps a property an event stops sending.
    const payload = payloadOf(e.source, e.uid, index, e.seq, given, index % 7 === 3);
    // Lemon Squeezy documents no event id: the bridge identifies a delivery by the hash of its body.
    const id = e.source === "lemonsqueezy" ? createHash("sha256").update(payload).digest("hex") : given;
    const lifecycle = (e.source === "clerk" || e.source === "workos") && e.seq === 1 ? ["Signed Up"] : [];
    const event = { ...e, id, payload, lifecycle };
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
 * The signature headers for `event`, made now by the official stripe or standardwebhooks library;
 * Paddle's and Chargebee's (whose libraries only verify) by the send tool's signer that tests check
 * against them; Lemon Squeezy's and WorkOS's with an HMAC computed here, as their verifiers' tests
 * check it (Lemon Squeezy's library has no signer, WorkOS's signs only asynchronously, from an object).
 */
export function signatureHeaders(event: PlannedEvent): Record<string, string> {
  if (event.source === "paddle") return { "paddle-signature": paddleSignatureHeader(event.payload, SOAK_SECRETS.paddle, Math.floor(Date.now() / 1000)) };
  if (event.source === "chargebee") return { authorization: chargebeeAuthorization(SOAK_SECRETS.chargebee) };
  if (event.source === "stripe") {
    return { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: event.payload, secret: SOAK_SECRETS.stripe }) };
  }
  if (event.source === "lemonsqueezy") {
    return { "x-signature": createHmac("sha256", SOAK_SECRETS.lemonsqueezy).update(event.payload).digest("hex") };
  }
  if (event.source === "workos") {
    const ms = Date.now();
    return { "workos-signature": `t=${ms}, v1=${createHmac("sha256", SOAK_SECRETS.workos).update(`${ms}.${event.payload}`).digest("hex")}` };
  }
  const now = new Date();
  return {
    "webhook-id": event.id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(SOAK_SECRETS[event.source]).sign(event.id, now, event.payload),
  };
}
