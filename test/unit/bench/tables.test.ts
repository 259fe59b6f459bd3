import { describe, expect, test } from "vitest";
import type { Scenario } from "../../../bench/lib/app.ts";
import { link } from "../../../bench/lib/link.ts";
import { hasSection, readmeSection, resultsSection, spliceSection, type Results } from "../../../bench/lib/output.ts";
import { summarize, type Sample } from "../../../bench/lib/summary.ts";
import { markdownTable, textTable } from "../../../bench/lib/table.ts";
import { multiTable, phaseTable, scenarioTable } from "../../../bench/lib/tables.ts";
import { appTargets } from "../../../bench/lib/targets.ts";
import type { ToolName } from "../../../bench/lib/tools.ts";
import { sample } from "./samples.ts";

const SCENARIOS: Scenario[] = ["cold", "no change", "app change", "dependency change"];
const TOOLS: ToolName[] = ["slipway", "slipway-dockerfile", "docker", "buildkit"];
const LINK = link(8, 10);
const detail = (phases?: Record<string, number>) => ({ stages: {}, stageSeconds: {}, bpSeconds: 1, ...(phases ? { phases } : {}) });

function samples(): Sample[] {
  return [
    sample("slipway", "cold", 1, 2, { downloaded: 101e6, uploaded: 30e6, requests: 90, slipway: detail({ pull: 0.5, run: 0.25, upload: 0.75 }) }),
    sample("slipway-dockerfile", "cold", 1, 2.5, { slipway: detail() }),
    sample("docker", "cold", 1, 4, { downloaded: 101e6, uploaded: 30e6, requests: 40 }),
    sample("buildkit", "cold", 1, 3),
    sample("slipway", "no change", 1, 0.5, { downloaded: 2000, uploaded: 0 }),
    sample("docker", "no change", 1, 6, { downloaded: 131e6 }),
    sample("buildkit", "no change", 1, 3),
  ];
}
const rows = () => summarize(samples(), "app", SCENARIOS, TOOLS, LINK);

describe("bench tables", () => {
  test("scenario table: measured and link seconds, bytes, requests; ratios only on slipway rows", () => {
    const text = textTable(scenarioTable(rows())).split("\n");
    expect(text[0]).toMatch(/^scenario\s+tool\s+seconds\s+link s\s+down MB\s+up MB\s+requests\s+vs docker\s+vs buildkit\s+vs docker \(link\)\s+vs buildkit \(link\)$/);
    // 2 s + 131 MB at 1 GB/s + 90 requests of 10 ms = 3.031 s; docker 4 + 0.131 + 0.4 = 4.531 s.
    expect(text[1]).toMatch(/^cold\s+slipway\s+2\.00\s+3\.03\s+101\.0\s+30\.0\s+90\s+2\.0x\s+1\.5x\s+1\.5x\s+1\.0x$/);
    expect(text[2]).toMatch(/^\s+slipway \(Dockerfile\)\s+2\.50\s+2\.60\s+0\s+<0\.01\s+10\s+1\.6x\s+1\.2x/);
    expect(text[3]).toMatch(/^\s+docker\s+4\.00\s+4\.53\s+101\.0\s+30\.0\s+40$/);
    const md = markdownTable(scenarioTable(rows())).split("\n");
    expect(md[1]).toBe("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    expect(md[6]).toBe("| no change | slipway | 0.50 | 0.60 | <0.01 | 0 | 10 | 12x | 6.0x | 10x | 5.2x |");
  });

  test("phase table: slipway's phases from its report, a dash where it has none, the peers' totals beside", () => {
    const md = markdownTable(phaseTable(rows(), ["cold", "dependency change"])).split("\n");
    expect(md[0]).toBe("| scenario | build | seconds | pull | run | commit | upload | manifests | docker s | buildkit s |");
    expect(md.slice(2)).toEqual([
      "| cold | slipway | 2.00 | 0.50 | 0.25 | – | 0.75 | – | 4.00 | 3.00 |",
      "|  | slipway (Dockerfile) | 2.50 | – | – | – | – | – | 4.00 | 3.00 |",
    ]);
  });

  test("multi table names each job", () => {
    const multi = summarize([
      sample("slipway", "cold", 1, 5, { suite: "multi", variant: "all" }),
      sample("slipway", "cold", 1, 4, { suite: "multi", variant: "api" }),
      sample("buildkit", "cold", 1, 9, { suite: "multi", variant: "all" }),
    ], "multi", SCENARIOS, TOOLS, LINK);
    const md = markdownTable(multiTable(multi, 4)).split("\n").slice(2);
    expect(md.map((l) => l.split(" | ").slice(0, 3).join(" | "))).toEqual(["| all 4 images, one job | slipway | 5.00", "| api alone | slipway | 4.00", "| all 4 images, one job | buildkit | 9.00"]);
  });

  test("the doc keeps its hand-written text and replaces only the results section; the README needs its markers", () => {
    const r = rows();
    const results: Results = {
      date: "2026-11-27T03:00:00Z",
      machine: { cores: 2, cpu: "cpu", memoryGB: 23, kernel: "6.1", docker: "Docker Engine 20.10.24", node: "v20" },
      load: { start: 0.5, end: 1.25 },
      settings: { runs: 3, suites: ["app"], baseBytes: 1e8, depsBytes: 3e7, app: "bench/app", slipway: "commit abc1234", link: LINK, multiImages: 4 },
      rows: r, targets: appTargets(r), samples: samples(),
    };
    const first = spliceSection("# Benchmark\n\nMethod.\n", resultsSection(results));
    expect(first).toContain("Method.\n\n## Latest results\n\n<!-- bench:results:start -->");
    expect(first).toContain("Machine: 2 cores (cpu), 23 GB memory, Linux 6.1, Docker Engine 20.10.24, Node v20; 1-minute load average 0.5 at the start, 1.3 at the end.");
    expect(first).toContain("### Where slipway's time goes");
    expect(first).toContain("- met: slipway: cold: at least 1.2x faster than docker and buildkit (docker 2.0x, buildkit 1.5x; over the modelled link docker 1.5x, buildkit 1.0x)");
    expect(first).not.toContain("### Multi-image");
    const again = spliceSection(`${first}\nAfterword.\n`, resultsSection({ ...results, date: "later" }));
    expect(again.match(/bench:results:start/g)).toHaveLength(1);
    expect(again).toContain("Latest run: later");
    expect(again).toContain("Afterword.");
    expect(hasSection("# slipway\n")).toBe(false);
    const readme = spliceSection(`# slipway\n\n${readmeSection(results)}\n\n## Development\n`, readmeSection({ ...results, date: "later" }));
    expect(readme).toContain("Latest run: later");
    expect(readme).not.toContain("### Where");
    expect(readme).toContain("## Development");
  });
});
