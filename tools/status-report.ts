import { METRIC } from "../functions/metric-names";

/**
 * What `npm run status` prints, locally or for a stage: one screen of counts and ages, never a body,
 * a uid or a key.
 */
export interface StatusReport {
  /** `local mode (.bridge)` or `stage prod`. */
  where: string;
  queue: { depth: number; inFlight?: number; oldestAgeSeconds: number | null | "unknown" };
  deadLetters: Record<string, number>;
  waiting: Record<string, number>;
  /** Webhooks and deliveries by outcome, per source, over `window`; or why they are not known. */
  activity: { window: string; bySource: Record<string, Record<string, number>> } | { unavailable: string };
  /** Names of the alarms in ALARM; absent locally (there are none). */
  alarms?: string[] | { unavailable: string };
  key: KeyStatus;
  /** The command that lists the dead letters. */
  dlqCommand: string;
}

export type KeyStatus =
  | { kind: "none" }
  | { kind: "inline"; dataCenter: string }
  | { kind: "parameter"; name: string; readable: true; dataCenter: string }
  | { kind: "parameter"; name: string; readable: false; problem: string };

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function reasons(counts: Record<string, number>): string {
  const n = total(counts);
  if (n === 0) return "none";
  return `${n}: ${Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, count]) => `${reason} ${count}`)
    .join(", ")}`;
}

function age(seconds: number | null | "unknown"): string {
  if (seconds === "unknown") return "oldest unknown";
  if (seconds === null) return "empty";
  if (seconds < 120) return `oldest ${seconds} s`;
  if (seconds < 7_200) return `oldest ${Math.round(seconds / 60)} min`;
  return `oldest ${Math.round(seconds / 3_600)} h`;
}

const ORDER: readonly string[] = Object.values(METRIC);
const byMetricOrder = ([a]: [string, number], [b]: [string, number]) => (ORDER.indexOf(a) + 1 || ORDER.length + 1) - (ORDER.indexOf(b) + 1 || ORDER.length + 1) || a.localeCompare(b);

/** `webhooks_accepted` → `accepted`, grouped as webhooks / deliveries / the rest, in the metrics' own order. */
function activityLines(bySource: Record<string, Record<string, number>>): string[] {
  const sources = Object.keys(bySource).sort();
  if (sources.length === 0) return ["nothing yet"];
  return sources.map((source) => {
    const counts = bySource[source] ?? {};
    const group = (prefix: string) =>
      Object.entries(counts)
        .filter(([name, n]) => name.startsWith(prefix) && n > 0)
        .sort(byMetricOrder)
        .map(([name, n]) => `${name.slice(prefix.length)} ${n}`)
        .join(", ");
    const parts = [["webhooks", group("webhooks_")], ["deliveries", group("deliveries_")], ["events sent", String(counts.lifecycle_events_sent ?? "")]]
      .filter(([, text]) => text !== "" && text !== "0")
      .map(([what, text]) => `${what} ${text}`);
    return `${source}: ${parts.join("; ") || "nothing"}`;
  });
}

function keyLine(key: KeyStatus): string {
  switch (key.kind) {
    case "none":
      return "none set: dry run (FULLSTORY_API_KEY or FULLSTORY_API_KEY_PARAMETER)";
    case "inline":
      return `FULLSTORY_API_KEY, data center ${key.dataCenter}`;
    case "parameter":
      return key.readable ? `${key.name}: readable, data center ${key.dataCenter}` : `${key.name}: NOT readable (${key.problem})`;
  }
}

/** The report as one screen of text. */
export function formatStatus(r: StatusReport): string {
  const pad = (label: string) => `  ${label.padEnd(14)}`;
  const lines = [`Fullstory webhook bridge: ${r.where}`];
  const inFlight = r.queue.inFlight ? `, ${r.queue.inFlight} being delivered` : "";
  lines.push(`${pad("queue")}${r.queue.depth} waiting${inFlight}, ${age(r.queue.oldestAgeSeconds)}`);
  lines.push(`${pad("dead letters")}${reasons(r.deadLetters)}${total(r.deadLetters) > 0 ? `   (${r.dlqCommand})` : ""}`);
  lines.push(`${pad("waiting")}${reasons(r.waiting)}`);
  const activity = r.activity;
  if ("unavailable" in activity) lines.push(`${pad("activity")}${activity.unavailable}`);
  else activityLines(activity.bySource).forEach((text, i) => lines.push(`${pad(i === 0 ? activity.window : "")}${text}`));
  if (r.alarms !== undefined) {
    lines.push(`${pad("alarms")}${"unavailable" in r.alarms ? r.alarms.unavailable : r.alarms.length === 0 ? "none firing" : `FIRING: ${r.alarms.join(", ")}`}`);
  }
  lines.push(`${pad("fullstory key")}${keyLine(r.key)}`);
  return lines.join("\n");
}
