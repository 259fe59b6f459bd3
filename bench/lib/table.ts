import type { Machine } from "./machine.ts";
import { formatMB, formatRatio, formatSeconds } from "./stats.ts";
import type { Row, TargetResult } from "./summary.ts";

const HEADER = ["scenario", "tool", "seconds", "down MB", "up MB", "time vs slipway", "down vs slipway", "up vs slipway"];

function cells(row: Row, first: boolean): string[] {
  const peer = row.tool !== "slipway";
  return [
    first ? row.scenario : "",
    row.tool,
    formatSeconds(row.seconds),
    formatMB(row.downloaded),
    formatMB(row.uploaded),
    peer ? formatRatio(row.timeRatio) : "",
    peer ? formatRatio(row.downloadRatio) : "",
    peer ? formatRatio(row.uploadRatio) : "",
  ];
}

function lines(rows: Row[]): string[][] {
  return rows.map((r, i) => cells(r, i === 0 || rows[i - 1].scenario !== r.scenario));
}

/** A plain-text table for the terminal: columns padded, numbers right-aligned. */
export function textTable(rows: Row[]): string {
  const body = [HEADER, ...lines(rows)];
  const widths = HEADER.map((_, c) => Math.max(...body.map((l) => l[c].length)));
  return body
    .map((l) => l.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd())
    .join("\n");
}

/** The same table in GitHub markdown. */
export function markdownTable(rows: Row[]): string {
  const align = HEADER.map((_, c) => (c < 2 ? "---" : "---:"));
  return [HEADER, align, ...lines(rows)].map((l) => `| ${l.join(" | ")} |`).join("\n");
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores (${m.cpu}), ${m.memoryGB} GB memory, Linux ${m.kernel}, ${m.docker}, Node ${m.node}`;
}

export function targetLines(results: TargetResult[]): string[] {
  return results.map((t) => `${t.met ? "met" : "MISSED"}: ${t.target} (${t.detail})`);
}
