import type { Scenario } from "./app.ts";
import { PHASES } from "./report.ts";
import { formatMB, formatRatio, formatSeconds } from "./stats.ts";
import type { Row } from "./summary.ts";
import type { Table } from "./table.ts";
import { isPeer, PEERS, type ToolName } from "./tools.ts";

const NAMES: Record<ToolName, string> = { slipway: "slipway", "slipway-dockerfile": "slipway (Dockerfile)", docker: "docker", buildkit: "buildkit" };
const DASH = "–";

/** The scenario is named once per group of rows. */
function firstOfGroup(rows: Row[], i: number): boolean {
  return i === 0 || rows[i - 1].scenario !== rows[i].scenario;
}

/**
 * Per scenario and tool: measured seconds, the same job over the modelled link,
 * bytes and requests; on slipway rows, how many times faster than each peer
 * (peer / slipway), measured and over the link.
 */
export function scenarioTable(rows: Row[]): Table {
  const header = ["scenario", "tool", "seconds", "link s", "down MB", "up MB", "requests",
    ...PEERS.map((p) => `vs ${p}`), ...PEERS.map((p) => `vs ${p} (link)`)];
  const lines = rows.map((r, i) => [
    firstOfGroup(rows, i) ? r.scenario : "",
    NAMES[r.tool],
    formatSeconds(r.seconds),
    formatSeconds(r.modelledSeconds),
    formatMB(r.downloaded),
    formatMB(r.uploaded),
    String(Math.round(r.requests)),
    ...PEERS.map((p) => (isPeer(r.tool) ? "" : formatRatio(r.speedup?.[p]))),
    ...PEERS.map((p) => (isPeer(r.tool) ? "" : formatRatio(r.modelledSpeedup?.[p]))),
  ]);
  return { header, lines, textColumns: 2 };
}

/**
 * slipway's job split into phases (from its own report; "–" where the report
 * has none), next to the peers' whole-job seconds in the same scenario.
 */
export function phaseTable(rows: Row[], scenarios: Scenario[]): Table {
  const header = ["scenario", "build", "seconds", ...PHASES, ...PEERS.map((p) => `${p} s`)];
  const ours = rows.filter((r) => !isPeer(r.tool) && !r.variant && scenarios.includes(r.scenario));
  const peer = (r: Row, p: string) => rows.find((x) => x.tool === p && x.scenario === r.scenario && !x.variant);
  const lines = ours.map((r, i) => [
    firstOfGroup(ours, i) ? r.scenario : "",
    NAMES[r.tool],
    formatSeconds(r.seconds),
    ...PHASES.map((ph) => (r.phases?.[ph] === undefined ? DASH : formatSeconds(r.phases[ph]!))),
    ...PEERS.map((p) => { const x = peer(r, p); return x ? formatSeconds(x.seconds) : DASH; }),
  ]);
  return { header, lines, textColumns: 2 };
}

function jobName(r: Row, images: number): string {
  if (r.variant === "all") return `all ${images} images, one job`;
  return `${r.variant} alone`;
}

/** The multi-image project: slipway's one job for every image, each image alone, and the peers' job. */
export function multiTable(rows: Row[], images: number): Table {
  const header = ["job", "tool", "seconds", "link s", "down MB", "up MB", "requests", ...PHASES];
  const lines = rows.map((r) => [
    jobName(r, images),
    NAMES[r.tool],
    formatSeconds(r.seconds),
    formatSeconds(r.modelledSeconds),
    formatMB(r.downloaded),
    formatMB(r.uploaded),
    String(Math.round(r.requests)),
    ...PHASES.map((ph) => (isPeer(r.tool) ? "" : r.phases?.[ph] === undefined ? DASH : formatSeconds(r.phases[ph]!))),
  ]);
  return { header, lines, textColumns: 2 };
}
