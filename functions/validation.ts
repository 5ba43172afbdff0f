import type { z } from "zod";

/**
 * The paths of a zod error's issues, dotted (`data.object.customer`, `$` for the root), never the
 * values: webhook bodies carry personal data, and a 400 must not echo it back.
 */
export function issuePaths(error: z.ZodError): string[] {
  const paths = error.issues.map((issue) => (issue.path.length === 0 ? "$" : issue.path.map(String).join(".")));
  return [...new Set(paths)];
}
