import type { z } from "zod";

/**
 * The paths of a zod error's issues, dotted (`data.object.customer`, `$` for the root), never the
 * values: webhook bodies carry personal data, and a 400 must not echo it back. `prefix` places the
 * paths of a nested value's own parse where that value sits in the body.
 */
export function issuePaths(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  const paths = error.issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    return path.length === 0 ? "$" : path.map(String).join(".");
  });
  return [...new Set(paths)];
}
