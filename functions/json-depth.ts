/**
 * The deepest nesting of arrays and objects a webhook body may have. zod validates nested JSON by
 * recursion, so a signed body nested thousands deep would overflow the stack: a 503, which the
 * sender retries forever. No event the bridge maps comes near this depth.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the parsed JSON `value` nests arrays and objects deeper than `max` (the outermost
 * container is depth 1). Checked on the value JSON.parse built, not on the text: V8's JSON.parse is
 * not recursive (it parses a body nested a million deep), and walking only the containers is about
 * a tenth of the cost of reading every character of a 4 KB body. Iterative, so it cannot overflow.
 * https://chromium.googlesource.com/v8/v8/+/4b60b40aa75388e407fd0a978d53c40626d4290a
 */
export function nestsDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  if (!isContainer(value)) return false;
  const containers: object[] = [value];
  const depths: number[] = [1];
  for (let container = containers.pop(); container !== undefined; container = containers.pop()) {
    const depth = depths.pop() ?? 0;
    if (depth > max) return true;
    if (Array.isArray(container)) {
      for (const child of container) {
        if (isContainer(child)) {
          containers.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in container) {
        const child = (container as Record<string, unknown>)[key];
        if (isContainer(child)) {
          containers.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

const isContainer = (value: unknown): value is object => typeof value === "object" && value !== null;
