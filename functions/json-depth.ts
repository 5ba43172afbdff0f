/**
 * The deepest nesting of arrays and objects a webhook body may have. zod validates nested JSON by
 * recursion, so a signed body nested thousands deep would overflow the stack: a 503, which the
 * sender retries forever. No event the bridge maps comes near this depth.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the JSON text `text` nests arrays and objects deeper than `max`. One pass over the
 * characters, skipping strings (and their escapes), before the text is parsed.
 */
export function nestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
