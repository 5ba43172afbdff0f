import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { queueEntry, type QueueMessage } from "../../functions/message";
import { rebuildMessage } from "../../functions/message-build";
import { createSqsQueue } from "../../functions/queue/sqs";
import { mergePatches, type UserPatch } from "../../functions/upsert";
import { deliverContainer } from "../support/deliver-container";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { startSqs, type LoopbackSqs } from "../support/fauxqs";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { drainQueue } from "../support/sqs-lambda";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";
import { startStripeApiFake, stripeExample, type StripeApiFake } from "../support/stripe-api-fake";
import { chargeObject, customerObject, invoiceObject, priceObject, stripeEvent, subscriptionItem, subscriptionObject } from "../support/stripe-events";

/**
 * Stripe retries for days and delivers out of order, and redrives put old events at the back of the
 * queue. Whatever order one customer's events arrive in (distinct `created` seconds), the Fullstory
 * user must end as the in-order history leaves it; in API mode, as Stripe holds it now. Deployed
 * shape: fauxqs FIFO, the deliver handler, the DynamoDB state table on dynalite, the Fullstory fake,
 * and, in API mode, the official `stripe` client against the Stripe API fake.
 */

const KEY = "na1.property-key";
const PARAM = "/fullstory-bridge/property/fullstory-api-key";
let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
let ssm: SsmFake;
let fullstory: FullstoryFake;
let api: StripeApiFake;
beforeAll(async () => {
  [sqs, dynamo, ssm, fullstory, api] = await Promise.all([startSqs(), startDynamo(), startSsmFake(), startFullstoryFake({ keys: [KEY] }), startStripeApiFake()]);
  await dynamo.createStateTable("property-state");
  ssm.set(PARAM, KEY);
});
afterAll(() => Promise.all([sqs.stop(), dynamo.stop(), ssm.stop(), fullstory.stop(), api.stop()]));

const BASE = 1_706_745_600;

/**
 * One customer's history, in order, one second apart: it signs up, renames itself, trials, pays,
 * fails a payment, upgrades, pays more, is refunded, cancels. Only the customer events carry the
 * uid (the common setup): the rest are resolved through the identity directory, or wait for it.
 */
function history(run: number) {
  const customer = `cus_Prop${run}`;
  const uid = `user_prop_${run}`;
  const sub = `sub_Prop${run}`;
  const meta = { fullstory_uid: uid };
  const name = (v: number) => `Grace ${run} v${v}`;
  const person = (v: number) => ({ customer, customer_email: `grace${run}@example.com`, customer_name: name(v), metadata: {}, parent: null });
  const plan = (key: string, amount: number, quantity: number) => [subscriptionItem({ price: priceObject({ lookup_key: key, unit_amount: amount }), quantity })];
  const events = [
    stripeEvent("customer.created", customerObject({ id: customer, email: `grace${run}@example.com`, name: name(1), metadata: meta })),
    stripeEvent("customer.updated", customerObject({ id: customer, email: `grace${run}@example.com`, name: name(2), delinquent: true, metadata: meta })),
    stripeEvent("customer.subscription.created", subscriptionObject({ id: sub, customer, metadata: {}, status: "trialing", items: plan("basic", 1000, 1) })),
    stripeEvent("invoice.paid", invoiceObject({ ...person(2), amount_paid: 1000, status_transitions: { paid_at: BASE + 4 } })),
    stripeEvent("invoice.payment_failed", invoiceObject({ ...person(2), amount_paid: 0, attempt_count: 1, status_transitions: { paid_at: null } })),
    stripeEvent("customer.subscription.updated", subscriptionObject({ id: sub, customer, metadata: {}, status: "active", items: plan("pro", 2500, 3) })),
    stripeEvent("invoice.paid", invoiceObject({ ...person(2), amount_paid: 7500, status_transitions: { paid_at: BASE + 7 } })),
    stripeEvent("charge.refunded", chargeObject({ customer, metadata: {}, amount_refunded: 2500 })),
    stripeEvent("customer.subscription.deleted", subscriptionObject({ id: sub, customer, metadata: {}, status: "canceled", canceled_at: BASE + 9, items: plan("pro", 2500, 3) })),
  ].map((e, i): Record<string, unknown> => ({ ...e, id: `evt_prop${run}_${i}`, created: BASE + i + 1 }));
  return { customer, uid, sub, events };
}

const config = loadConfig({ STRIPE_UID_METADATA_KEYS: "fullstory_uid" });

/** The queue message ingest makes of an event (the same mapping, from its raw body). */
function messageOf(event: Record<string, unknown>): QueueMessage {
  const built = rebuildMessage({ source: "stripe", event_id: String(event.id), occurred_at: new Date(Number(event.created) * 1000).toISOString(), received_at: new Date().toISOString(), raw: JSON.stringify(event) }, config);
  if (built.kind !== "message") throw new Error(JSON.stringify(built));
  return built.message;
}

/** What applying every event's patch in `created` order leaves: the in-order user. */
function inOrder(events: Record<string, unknown>[]): UserPatch {
  return mergePatches(events.map((e) => messageOf(e).upsert as UserPatch));
}

let runs = 0;
async function deliverInOrder(events: Record<string, unknown>[], env: Record<string, string>) {
  const queue = await sqs.createFifoQueue(`property-${++runs}`, { maxReceiveCount: 20 });
  const port = createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client });
  const container = deliverContainer({ sqs, dynamo, stateTable: "property-state", ssm, fullstory, queue, env: { FULLSTORY_API_KEY_PARAMETER: PARAM, STRIPE_UID_METADATA_KEYS: "fullstory_uid", ...env } });
  // Each event arrives on its own, in the given order, and is delivered before the next comes.
  for (const event of events) {
    await port.send(queueEntry(messageOf(event)));
    await drainQueue({ client: sqs.client, queueUrl: queue.queueUrl, queueArn: queue.queueArn, handler: container.handler });
  }
}

const user = (uid: string) => {
  const u = fullstory.users.get(uid);
  return { email: u?.email, display_name: u?.display_name, properties: u?.properties };
};

describe("the stale-event guard over any arrival order", () => {
  it("leaves the Fullstory user as the in-order history does, whatever order one customer's events arrive in", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7, 8], { minLength: 9, maxLength: 9 }), async (order) => {
        const { uid, events } = history(++run);
        await deliverInOrder(order.map((i) => events[i] as Record<string, unknown>), {});
        const expected = inOrder(events);
        expect(user(uid)).toEqual({ email: expected.email, display_name: expected.display_name, properties: expected.properties });
      }),
      { numRuns: 20, seed: 20_261_130 },
    );
  });

  it("in API mode, leaves the user as Stripe holds the customer now, whatever order the events arrive in", async () => {
    let run = 100;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7, 8], { minLength: 9, maxLength: 9 }), async (order) => {
        const { customer, uid, sub, events } = history(++run);
        // Stripe's current state: the last of each object, and changes since that no event has
        // brought yet (a new name, a fourth seat): API mode writes what Stripe holds, not what the events said.
        const last = (type: string) => [...events].reverse().find((e) => e.type === type) as unknown as { data: { object: Record<string, unknown> } };
        api.customers.set(customer, stripeExample("customer", { ...last("customer.updated").data.object, name: `Grace ${run} v3` }));
        const ended = last("customer.subscription.deleted").data.object;
        api.subscriptions.set(sub, { ...ended, items: { data: [subscriptionItem({ price: priceObject({ lookup_key: "pro", unit_amount: 2500 }), quantity: 4 })] } });
        const paid = events.filter((e) => e.type === "invoice.paid").map((e, i) => ({ ...(e.data as { object: Record<string, unknown> }).object, id: `in_prop${run}_${i}`, status: "paid", created: e.created }));
        for (const invoice of paid) api.invoices.set(invoice.id, invoice);
        const failed = last("invoice.payment_failed").data.object;
        api.invoices.set(String(failed.id), { ...failed, status: "open" });
        api.charges.set(String(last("charge.refunded").data.object.id), last("charge.refunded").data.object);
        for (const e of events) e.created = Math.floor(Date.now() / 1000) - 100 + (Number(e.created) - BASE);

        await deliverInOrder(order.map((i) => events[i] as Record<string, unknown>), { STRIPE_API_KEY: api.apiKey, STRIPE_API_URL: api.url });
        expect(user(uid).properties).toMatchObject({
          subscription_status: "canceled",
          mrr: 0,
          plan: "pro",
          seats: 4,
          delinquent: true,
          last_payment_amount: 75,
          last_refund_amount: 25,
          payment_attempt_count: 1,
        });
        expect(user(uid).display_name).toBe(`Grace ${run} v3`);
      }),
      { numRuns: 10, seed: 20_261_131 },
    );
  });
});
