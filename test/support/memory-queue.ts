import type { QueueMessage } from "../../functions/message";
import type { DeadLetter, QueuePort } from "../../functions/queue/port";

/** An in-memory queue port: keeps what it is given, for tests that are not about the queue itself. */
export function memoryQueue(): QueuePort & { sent: QueueMessage[]; deadLetters: DeadLetter[] } {
  const sent: QueueMessage[] = [];
  const deadLetters: DeadLetter[] = [];
  return {
    sent,
    deadLetters,
    send: async (entry) => void sent.push(JSON.parse(entry.body) as QueueMessage),
    deadLetter: async (letter) => void deadLetters.push(letter),
  };
}
