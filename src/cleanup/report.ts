import type { CleanupReport, Decision } from "./types.ts";

const ORDER = { image: 0, stage: 1, cache: 2, toolchain: 3 } as const;

export function toReport(decisions: Decision[], extra: { dryRun: boolean; failed: number; warnings: string[] }): CleanupReport {
  const sorted = [...decisions].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag));
  const tags = sorted.map((d) => ({
    tag: d.tag,
    digest: d.digest,
    action: d.action,
    reason: d.reason,
    repository: d.repository,
    kind: d.kind,
    ...(d.kind === "image" && { image: d.image ?? "" }),
    ...(d.kind === "cache" && d.ref !== undefined && { ref: d.ref }),
  }));
  const deleted = tags.filter((t) => t.action === "delete").length;
  return { tags, totals: { kept: tags.length - deleted, deleted, failed: extra.failed }, dryRun: extra.dryRun, warnings: extra.warnings };
}

/** A readable table: one line per tag, images first; stage digests shortened. */
export function formatReport(report: CleanupReport): string {
  const rows = report.tags.map((t) => {
    const name = t.kind === "stage" ? `${t.repository}:${t.tag.slice(0, 18)}…` : `${t.repository}:${t.tag}`;
    return [report.dryRun ? `would ${t.action}` : t.action === "delete" ? "deleted" : "kept", name, t.digest.slice(7, 19), t.reason];
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 4));
  const lines = rows.map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3]}`);
  const verb = report.dryRun ? "would be " : "";
  lines.push(`${report.totals.kept} kept, ${report.totals.deleted} ${verb}deleted${report.totals.failed ? `, ${report.totals.failed} failed` : ""}`);
  return `${lines.join("\n")}\n`;
}
