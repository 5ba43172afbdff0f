import type { StageOverrides } from "./settings";

/**
 * Per-stage overrides, keyed by stage name; a stage without an entry gets the defaults of
 * `stageSettings` (all sources, no data-center pin, live only on `production`/`prod`). Kept in the
 * repository rather than read from the deploying shell, so every deploy of a stage is the same.
 * For example, `production: { region: "eu1", sources: ["stripe", "standard"] }`.
 */
export const STAGES: Readonly<Record<string, StageOverrides>> = {};
