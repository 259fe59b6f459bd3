import type { Machine } from "./machine.ts";
import type { TargetResult } from "./targets.ts";

/** A table as cells: the first `textColumns` columns are text (left-aligned), the rest numbers. */
export interface Table {
  header: string[];
  lines: string[][];
  textColumns: number;
}

/** A plain-text table for the terminal: columns padded, numbers right-aligned. */
export function textTable(t: Table): string {
  const body = [t.header, ...t.lines];
  const widths = t.header.map((_, c) => Math.max(...body.map((l) => l[c].length)));
  return body
    .map((l) => l.map((cell, c) => (c < t.textColumns ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd())
    .join("\n");
}

/** The same table in GitHub markdown. */
export function markdownTable(t: Table): string {
  const align = t.header.map((_, c) => (c < t.textColumns ? "---" : "---:"));
  return [t.header, align, ...t.lines].map((l) => `| ${l.join(" | ")} |`).join("\n");
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores (${m.cpu}), ${m.memoryGB} GB memory, Linux ${m.kernel}, ${m.docker}, Node ${m.node}`;
}

export function targetLines(results: TargetResult[]): string[] {
  return results.map((t) => `${t.met ? "met" : "MISSED"}: ${t.target} (${t.detail})`);
}
