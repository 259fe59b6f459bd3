import { readFile, writeFile } from "node:fs/promises";
import type { Machine } from "./machine.ts";
import type { Row, Sample, TargetResult } from "./summary.ts";
import { machineLine, markdownTable, targetLines } from "./table.ts";

export interface Results {
  date: string;
  machine: Machine;
  /** 1-minute load average when the measurements started and ended: other work on the machine skews every number. */
  load: { start: number; end: number };
  settings: { runs: number; baseBytes: number; depsBytes: number; app: string; slipway: string };
  rows: Row[];
  targets: TargetResult[];
  samples: Sample[];
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/** The generated part of docs/bench.md: the latest table, the machine and the targets. */
export function resultsSection(r: Results): string {
  return [
    START,
    `Latest run: ${r.date}, slipway ${r.settings.slipway}, median of ${r.settings.runs} runs per cell, each job on a fresh engine.`,
    "",
    `Machine: ${machineLine(r.machine)}; 1-minute load average ${r.load.start.toFixed(1)} at the start, ${r.load.end.toFixed(1)} at the end.`,
    "",
    markdownTable(r.rows),
    "",
    ...targetLines(r.targets).map((l) => `- ${l}`),
    END,
  ].join("\n");
}

/** Replaces the generated section of the doc, keeping the hand-written text around it. */
export function spliceSection(doc: string, section: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) return `${doc.trimEnd()}\n\n## Latest results\n\n${section}\n`;
  return doc.slice(0, start) + section + doc.slice(end + END.length);
}

export async function writeOutputs(r: Results, jsonPath: string, docPath: string): Promise<void> {
  await writeFile(jsonPath, `${JSON.stringify(r, null, 2)}\n`);
  const doc = await readFile(docPath, "utf8").catch(() => "# Benchmark\n");
  await writeFile(docPath, spliceSection(doc, resultsSection(r)));
}
