import { formatBytes, stagesOf, summaryRow, type JobResult } from "./summary.ts";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLORS: Record<string, string> = {
  built: "#d9534f", appended: "#f0ad4e", pulled: "#5bc0de", registry: "#5cb85c", local: "#8fd18f", missing: "#999",
};

/** One job's stages as a timeline: bars laid end to end, each as wide as the stage took. */
function timeline(j: JobResult): string {
  const stages = stagesOf(j.bp);
  const total = Math.max(stages.reduce((n, s) => n + s.seconds, 0), 0.001);
  let offset = 0;
  const bars = stages.map((s) => {
    const left = (offset / total) * 100;
    const width = Math.max((s.seconds / total) * 100, 0.6);
    offset += s.seconds;
    const title = `${s.name}: ${s.status}, ${s.seconds.toFixed(2)} s, pulled ${formatBytes(s.bytesPulled)}, pushed ${formatBytes(s.bytesPushed)}${s.reason ? ` (${s.reason})` : ""}`;
    return `<div class="row"><span class="name">${escape(s.name)}</span><span class="track"><span class="bar" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%;background:${COLORS[s.status] ?? "#999"}" title="${escape(title)}"></span></span><span class="st">${escape(s.status)} ${s.seconds.toFixed(2)} s</span></div>`;
  });
  const r = summaryRow(j);
  return `<section><h2>${escape(j.step)}</h2><p class="meta">job ${j.jobId} on ${escape(j.nodeId)}, ref ${escape(j.ref)}: ${escape(j.outcome)}; ${r.built} built, ${r.appended} appended, ${r.reused} reused; pulled ${formatBytes(r.bytesPulled)}, pushed ${formatBytes(r.bytesPushed)}; bp ${r.bpSeconds.toFixed(1)} s, job ${r.wallSeconds.toFixed(1)} s</p>${bars.join("")}</section>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:960px}h2{font-size:16px;margin:1.5em 0 .3em}
.meta{color:#555;margin:.2em 0 .6em}.row{display:flex;align-items:center;gap:.6em;margin:2px 0}
.name{width:11em;font-family:monospace}.track{position:relative;flex:1;height:14px;background:#f3f3f3}
.bar{position:absolute;top:0;height:14px;border-radius:2px}.st{width:10em;font-family:monospace;color:#333}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}`;

/** A self-contained page (inline CSS, no scripts, no external assets) with one timeline per job. */
export function htmlReport(jobs: JobResult[], cleanup?: string): string {
  const legend = Object.entries(COLORS).map(([k, c]) => `<span><i style="background:${c}"></i>${k}</span>`).join("");
  const cleanupHtml = cleanup ? `<section><h2>Cleanup dry run</h2><pre>${escape(cleanup)}</pre></section>` : "";
  return `<!doctype html><html><head><meta charset="utf-8"><title>slipway demo</title><style>${STYLE}</style></head><body>
<h1>slipway demo: stage timeline per job</h1><p class="legend">${legend}</p>
${jobs.map(timeline).join("\n")}
${cleanupHtml}
</body></html>
`;
}
