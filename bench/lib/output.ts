import { readFile, writeFile } from "node:fs/promises";
import type { Link } from "./link.ts";
import type { Machine } from "./machine.ts";
import type { Row, Sample, SuiteName } from "./summary.ts";
import { machineLine, markdownTable, targetLines } from "./table.ts";
import { multiTable, phaseTable, scenarioTable } from "./tables.ts";
import type { TargetResult } from "./targets.ts";

export interface Results {
  date: string;
  machine: Machine;
  /** 1-minute load average when the measurements started and ended: other work on the machine skews every number. */
  load: { start: number; end: number };
  settings: { runs: number; suites: SuiteName[]; baseBytes: number; depsBytes: number; app: string; slipway: string; link: Link; multiImages: number };
  rows: Row[];
  targets: TargetResult[];
  samples: Sample[];
  /** Wall seconds of the whole bench run. */
  benchSeconds?: number;
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

function header(r: Results): string[] {
  return [
    `Latest run: ${r.date}, slipway ${r.settings.slipway}, median of ${r.settings.runs} runs per cell, each job on a fresh engine${r.benchSeconds ? `; the bench took ${Math.round(r.benchSeconds)} s` : ""}.`,
    "",
    `Machine: ${machineLine(r.machine)}; 1-minute load average ${r.load.start.toFixed(1)} at the start, ${r.load.end.toFixed(1)} at the end.`,
    "",
    `"link s" is the measured job plus its bytes and requests over the modelled link (${r.settings.link.description}); everything else is measured on loopback.`,
  ];
}

const suiteRows = (r: Results, suite: SuiteName) => r.rows.filter((x) => x.suite === suite);

/** The generated part of docs/bench.md: every table, the machine and the targets. */
export function resultsSection(r: Results): string {
  const parts = [START, ...header(r)];
  const app = suiteRows(r, "app");
  if (app.length > 0) {
    parts.push("", "### The app: slipway.yaml, and its Dockerfile, against the peers", "", markdownTable(scenarioTable(app)));
    parts.push("", "### Where slipway's time goes (phases from its bp report)", "", markdownTable(phaseTable(app, ["cold", "dependency change"])));
  }
  const multi = suiteRows(r, "multi");
  if (multi.length > 0) parts.push("", "### Multi-image project, cold", "", markdownTable(multiTable(multi, r.settings.multiImages)));
  const cache = suiteRows(r, "cache");
  if (cache.length > 0) {
    parts.push("", "### Dependency cache: a package-manager install, every job on a fresh node", "", markdownTable(scenarioTable(cache)));
    parts.push("", markdownTable(phaseTable(cache, ["cold", "dependency change"])));
  }
  parts.push("", "### Targets", "", ...targetLines(r.targets).map((l) => `- ${l}`), END);
  return parts.join("\n");
}

/** The generated part of README.md: the app table and the targets. */
export function readmeSection(r: Results): string {
  const app = suiteRows(r, "app");
  return [START, ...header(r), "", ...(app.length > 0 ? [markdownTable(scenarioTable(app)), ""] : []), ...targetLines(r.targets).map((l) => `- ${l}`), END].join("\n");
}

/** Replaces the generated section of the doc, keeping the hand-written text around it. */
export function spliceSection(doc: string, section: string, heading = "## Latest results"): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) return `${doc.trimEnd()}\n\n${heading}\n\n${section}\n`;
  return doc.slice(0, start) + section + doc.slice(end + END.length);
}

/** Whether `doc` has a generated section to replace (the README must have one: nothing is appended to it). */
export function hasSection(doc: string): boolean {
  const start = doc.indexOf(START);
  return start >= 0 && doc.indexOf(END) > start;
}

export async function writeOutputs(r: Results, paths: { json: string; doc: string; readme?: string }): Promise<void> {
  await writeFile(paths.json, `${JSON.stringify(r, null, 2)}\n`);
  const doc = await readFile(paths.doc, "utf8").catch(() => "# Benchmark\n");
  await writeFile(paths.doc, spliceSection(doc, resultsSection(r)));
  if (!paths.readme) return;
  const readme = await readFile(paths.readme, "utf8");
  if (!hasSection(readme)) throw new Error(`${paths.readme} has no ${START} ... ${END} section to replace`);
  await writeFile(paths.readme, spliceSection(readme, readmeSection(r)));
}
