import { randomUUID } from "node:crypto";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { StateStore } from "../functions/state/port";
import { eventIdOf, planRedrive, viewOf, type DeadLetterBackend, type RedriveOutcome } from "./dead-letters";

/** The id `dlq` shows for a letter waiting in a stage's state table, told apart from SQS message ids. */
const WAITING_PREFIX = "waiting:";

/**
 * The `dlq` verbs over the letters a deployed stage keeps in its state table while they wait for a
 * uid (or a Stripe key): deliver puts them back by itself once it learns what they wait for, and
 * these verbs show them beside the dead-letter queue's and let an operator move them on sooner
 * (say, with `--renormalise` after changing a uid setting). Redrive sends to the main queue first,
 * then removes the letter: an interruption duplicates, never loses.
 */
export function waitingBackend(state: StateStore, queueUrl: string | undefined, client: SQSClient): DeadLetterBackend {
  return {
    async list() {
      return { letters: (await state.listParked()).map((l) => viewOf(`${WAITING_PREFIX}${l.id}`, l.body, l.failure)) };
    },
    async redrive(options) {
      if (!queueUrl) throw new Error("redrive needs the main queue's URL too (--queue-url, or --stage).");
      const outcomes: RedriveOutcome[] = [];
      for (const letter of await state.listParked()) {
        const eventId = eventIdOf(letter.body) ?? null;
        if (options.eventId && eventId !== options.eventId) continue;
        const id = `${WAITING_PREFIX}${letter.id}`;
        const plan = planRedrive(letter.body, options);
        if (plan.kind === "keep") {
          outcomes.push({ id, event_id: eventId, redriven: false, why: plan.why });
          continue;
        }
        await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: plan.body, MessageGroupId: plan.groupId, MessageDeduplicationId: randomUUID() }));
        await state.unpark(letter);
        outcomes.push({ id, event_id: eventId, redriven: true });
      }
      return outcomes;
    },
    async purge() {
      const letters = await state.listParked();
      for (const letter of letters) await state.unpark(letter);
      return letters.length;
    },
    close: () => undefined,
  };
}

/** Several backends as one: the dead-letter queue's letters and the state table's waiting ones. */
export function combinedBackend(backends: DeadLetterBackend[]): DeadLetterBackend {
  return {
    async list() {
      const lists = await Promise.all(backends.map((b) => b.list()));
      const notes = lists.flatMap((l) => (l.note ? [l.note] : []));
      const letters = lists.flatMap((l) => l.letters);
      return notes.length > 0 ? { letters, note: notes.join("\n") } : { letters };
    },
    async redrive(options) {
      const outcomes: RedriveOutcome[] = [];
      for (const b of backends) outcomes.push(...(await b.redrive(options)));
      return outcomes;
    },
    async purge() {
      let count = 0;
      for (const b of backends) count += await b.purge();
      return count;
    },
    close: () => {
      for (const b of backends) b.close();
    },
  };
}
