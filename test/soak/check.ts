import { isDeepStrictEqual } from "node:util";
import { buildEventRequest } from "../../functions/fullstory/request";
import { QueueMessageSchema, idempotencyKey, type QueueMessage } from "../../functions/message";
import type { FakeEvent, FakeUser, RecordedRequest } from "../support/fullstory-fake";
import type { Plan } from "./plan";

/** What a soak run ends with, as the checks need it. */
export interface Outcome {
  plan: Plan;
  /** Every message ingest queued (main queue or dead-letter queue), by event id. */
  queued: Map<string, QueueMessage>;
  /** Events answered 202. */
  accepted: Set<string>;
  /** Bodies found on the dead-letter queue, with their reasons. */
  deadLetters: { body: string; reason: string }[];
  requests: RecordedRequest[];
  users: Map<string, FakeUser>;
  /** Lifecycle events Fullstory accepted (replays not repeated). */
  events: FakeEvent[];
  /** Messages left on the main queue. */
  leftOnQueue: number;
}

export interface Accounting {
  accepted: number;
  delivered: number;
  deadLettered: number;
  deadLetterReasons: Record<string, number>;
  fullstoryPosts: number;
  /** Events Fullstory saw more than once (retries, one Idempotency-Key each). */
  retriedEvents: number;
  maxRequestsForOneEvent: number;
  /** Lifecycle events the accepted, delivered webhooks call for (from the plan), and those Fullstory accepted. */
  lifecycleExpected: number;
  lifecycleSent: number;
}

// Deliver sends the uid and the patch as the message schema reads it back (its key order), so the key is of that.
const keyOf = (m: QueueMessage) => {
  const { uid, upsert } = QueueMessageSchema.parse(m);
  if (uid === null || !upsert) return undefined;
  return idempotencyKey(m.source, m.event_id, uid, JSON.stringify({ uid, ...upsert }));
};

/**
 * Checks a run: accepted = delivered + dead-lettered exactly (each accepted event in exactly one of
 * the two); every uid ends in Fullstory with the properties, email and display name of the last
 * event sent for it, and its events were applied in the order sent; every request carried the one
 * Idempotency-Key of its event and that event's body. Returns the counts and the problems found.
 */
export function checkOutcome(o: Outcome): { accounting: Accounting; problems: string[] } {
  const problems: string[] = [];
  const byKey = new Map<string, QueueMessage>();
  for (const m of o.queued.values()) {
    const key = keyOf(m);
    if (key) byKey.set(key, m);
  }

  // Lifecycle event requests are checked on their own (checkLifecycle); the rest are upserts.
  const posts = o.requests.filter((r) => r.method === "POST" && r.path !== "/v2/events");
  const perEvent = new Map<string, RecordedRequest[]>();
  for (const r of posts) {
    const m = r.idempotencyKey ? byKey.get(r.idempotencyKey) : undefined;
    if (!m) {
      problems.push(`a request to Fullstory carried an unknown Idempotency-Key ${String(r.idempotencyKey)}`);
      continue;
    }
    if (!isDeepStrictEqual(r.body, JSON.parse(JSON.stringify({ uid: m.uid, ...m.upsert })))) {
      problems.push(`event ${m.event_id}: a request under its Idempotency-Key carried another body`);
    }
    perEvent.set(m.event_id, [...(perEvent.get(m.event_id) ?? []), r]);
  }
  const delivered = new Set([...perEvent].filter(([, rs]) => rs.some((r) => r.status >= 200 && r.status < 300)).map(([id]) => id));

  const dead = new Set<string>();
  const reasons: Record<string, number> = {};
  for (const letter of o.deadLetters) {
    const parsed = QueueMessageSchema.safeParse(JSON.parse(letter.body));
    if (!parsed.success) {
      problems.push("a dead letter is not a queue message");
      continue;
    }
    if (dead.has(parsed.data.event_id)) problems.push(`event ${parsed.data.event_id} is on the dead-letter queue twice`);
    dead.add(parsed.data.event_id);
    reasons[letter.reason] = (reasons[letter.reason] ?? 0) + 1;
  }

  for (const id of o.accepted) {
    const where = Number(delivered.has(id)) + Number(dead.has(id));
    if (where !== 1) problems.push(`accepted event ${id} is ${where === 0 ? "neither delivered nor dead-lettered" : "both delivered and dead-lettered"}`);
  }
  for (const id of [...delivered, ...dead]) if (!o.accepted.has(id)) problems.push(`event ${id} left the bridge without having been accepted`);
  if (o.accepted.size !== delivered.size + dead.size) {
    problems.push(`accepted ${o.accepted.size} ≠ delivered ${delivered.size} + dead-lettered ${dead.size}`);
  }
  if (o.leftOnQueue !== 0) problems.push(`${o.leftOnQueue} message(s) left on the main queue`);

  checkUsers(o, problems);
  const lifecycle = checkLifecycle(o, delivered, problems);

  const counts = [...perEvent.values()].map((rs) => rs.length);
  return {
    accounting: {
      accepted: o.accepted.size,
      delivered: delivered.size,
      deadLettered: dead.size,
      deadLetterReasons: reasons,
      fullstoryPosts: posts.length,
      retriedEvents: counts.filter((n) => n > 1).length,
      maxRequestsForOneEvent: Math.max(0, ...counts),
      lifecycleExpected: lifecycle.expected,
      lifecycleSent: lifecycle.sent,
    },
    problems,
  };
}

/** Per uid: the final state is the last event's, and first applications came in the order sent. */
function checkUsers(o: Outcome, problems: string[]): void {
  const planned = new Map(o.plan.events.map((e) => [e.id, e]));
  const last = new Map<string, QueueMessage>();
  for (const e of o.plan.events) {
    const m = o.queued.get(e.id);
    if (e.kind === "normal" && e.uid && m && o.accepted.has(e.id)) last.set(e.uid, m);
  }
  for (const uid of o.plan.uids.keys()) {
    const expected = last.get(uid)?.upsert;
    const user = o.users.get(uid);
    if (!expected || !user) {
      problems.push(`uid ${uid}: ${expected ? "missing in Fullstory" : "no accepted event"}`);
      continue;
    }
    const lastSeq = planned.get(last.get(uid)?.event_id ?? "")?.seq;
    const sawLast = user.display_name?.endsWith(` v${lastSeq}`);
    if (!isDeepStrictEqual(user.properties, expected.properties) || user.email !== expected.email || user.display_name !== expected.display_name || !sawLast) {
      problems.push(`uid ${uid}: Fullstory holds ${user.display_name} ${JSON.stringify(user.properties)}, not the last event's (v${lastSeq})`);
    }
  }
  // Order: the first accepted (non-replayed) request of each event, per uid, by sequence number.
  const seqs = new Map<string, number[]>();
  const byKey = new Map([...o.queued.values()].flatMap((m) => (keyOf(m) ? [[keyOf(m) as string, m] as const] : [])));
  for (const r of o.requests) {
    const m = r.idempotencyKey ? byKey.get(r.idempotencyKey) : undefined;
    const e = m && planned.get(m.event_id);
    if (!e || !e.uid || r.status !== 200 || r.replayed) continue;
    seqs.set(e.uid, [...(seqs.get(e.uid) ?? []), e.seq]);
  }
  for (const [uid, list] of seqs) {
    if (list.some((s, i) => i > 0 && s <= (list[i - 1] as number))) problems.push(`uid ${uid}: events applied out of order (${list.join(",")})`);
  }
}

/**
 * Lifecycle events: every request to `/v2/events` carries the key and body deliver derives for one
 * queued event, the events Fullstory accepted are exactly those the plan calls for from the
 * delivered webhooks (count and names), and none was accepted twice.
 */
function checkLifecycle(o: Outcome, delivered: Set<string>, problems: string[]): { expected: number; sent: number } {
  const requests = new Map<string, string>();
  for (const m of o.queued.values()) {
    for (const event of m.events ?? []) {
      if (m.uid === null) continue;
      const built = buildEventRequest({ apiUrl: "http://fullstory", apiKey: "-", event, uid: m.uid, source: m.source, eventId: m.event_id });
      requests.set(built.headers["idempotency-key"] as string, built.body);
    }
  }
  for (const r of o.requests.filter((r) => r.method === "POST" && r.path === "/v2/events")) {
    const body = r.idempotencyKey ? requests.get(r.idempotencyKey) : undefined;
    if (body === undefined) problems.push(`a lifecycle event request carried an unknown Idempotency-Key ${String(r.idempotencyKey)}`);
    else if (!isDeepStrictEqual(r.body, JSON.parse(body))) problems.push(`a lifecycle event request under key ${r.idempotencyKey} carried another body`);
  }
  const expected = o.plan.events.filter((e) => delivered.has(e.id)).flatMap((e) => e.lifecycle.map((name) => `${e.uid} ${name}`)).sort();
  const sent = o.events.map((e) => `${e.uid} ${e.name}`).sort();
  const keys = o.events.map((e) => e.idempotencyKey);
  if (new Set(keys).size !== keys.length) problems.push("a lifecycle event was accepted by Fullstory twice");
  if (!isDeepStrictEqual(sent, expected)) problems.push(`lifecycle events: ${sent.length} sent, ${expected.length} expected from the accepted webhooks`);
  return { expected: expected.length, sent: sent.length };
}
