import { BridgeError, ErrorCode } from "./errors";

/**
 * `work`'s result, or a BridgeError `deadline` once `ms` have passed (whatever `work` does then is
 * left to finish on its own). For calls that cannot be aborted one by one, such as a parameter read
 * shared by concurrent callers.
 */
export async function beforeDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BridgeError(ErrorCode.Deadline, `Not done within ${Math.round(ms)} ms.`)), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
