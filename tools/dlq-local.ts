import { openQueueStore } from "../local/queue-store";
import { eventIdOf, planRedrive, viewOf, type DeadLetterBackend } from "./dead-letters";

/**
 * The `dlq` verbs over local mode's store under `dataDir`. Safe while `npm start` runs on the same
 * directory: SQLite serialises the two writers, and a redriven message is simply a new message the
 * running bridge picks up.
 */
export function localBackend(dataDir: string): DeadLetterBackend {
  const store = openQueueStore({ dir: dataDir });
  return {
    async list() {
      return { letters: store.listDeadLetters().map((letter) => viewOf(letter.id, letter.body, letter.failure)) };
    },
    async redrive(options) {
      const letters = store.listDeadLetters().filter((letter) => !options.eventId || eventIdOf(letter.body) === options.eventId);
      return letters.map((letter) => {
        const eventId = eventIdOf(letter.body) ?? null;
        const plan = planRedrive(letter.body, options);
        if (plan.kind === "keep") return { id: letter.id, event_id: eventId, redriven: false, why: plan.why };
        const moved = store.redrive(letter.id, { body: plan.body, groupId: plan.groupId });
        return moved
          ? { id: letter.id, event_id: eventId, redriven: true }
          : { id: letter.id, event_id: eventId, redriven: false, why: "already gone (redriven or purged meanwhile)" };
      });
    },
    async purge() {
      return store.purgeDeadLetters();
    },
    close: () => store.close(),
  };
}
