import type { Source } from "../types";
import { normalisePaddle } from "./normalise";
import { PADDLE_MAPPED_EVENT_TYPES, parsePaddleEvent } from "./parse";
import type { PaddleData } from "./schema";
import { verifyPaddleSignature } from "./verify";

export { PADDLE_MAPPED_EVENT_TYPES };
export type { PaddleData, PaddleEventType } from "./schema";

/** Paddle Billing notifications: `Paddle-Signature` verification, the notification envelope, and the vocabulary mapping. */
export const paddleSource: Source<PaddleData> = {
  name: "paddle",
  verify: verifyPaddleSignature,
  parse: parsePaddleEvent,
  normalise: normalisePaddle,
};
