import { describe, expect, test } from "vitest";
import type { Scenario } from "../../../bench/lib/app.ts";
import { resultsSection, spliceSection, type Results } from "../../../bench/lib/output.ts";
import { summarize, targets, type Sample } from "../../../bench/lib/summary.ts";
import { markdownTable, textTable } from "../../../bench/lib/table.ts";
import type { ToolName } from "../../../bench/lib/tools.ts";

const SCENARIOS: Scenario[] = ["no change", "app change"];
const TOOLS: ToolName[] = ["slipway", "docker", "buildkit"];

function sample(tool: ToolName, scenario: Scenario, run: number, seconds: number, downloaded = 0, layerDownloaded = 0): Sample {
  return { run, tool, scenario, seconds, downloaded, layerDownloaded, uploaded: 1000 * run, requests: 10 };
}

/** slipway at 0.5 s; the peers at 6 s (no change) and 3 s (app change), three runs each with noise. */
function samples(): Sample[] {
  return [1, 2, 3].flatMap((run) => [
    sample("slipway", "no change", run, [0.5, 0.4, 9][run - 1], 2000),
    sample("docker", "no change", run, 6, 131e6, 131e6),
    sample("buildkit", "no change", run, 6 + run, 131e6, 131e6),
    sample("slipway", "app change", run, 0.75, 4000),
    sample("docker", "app change", run, 3, 131e6, 131e6),
    sample("buildkit", "app change", run, 2, 131e6, 131e6),
  ]);
}

describe("bench summary", () => {
  test("medians per tool and scenario, ratios peer over slipway", () => {
    const rows = summarize(samples(), SCENARIOS, TOOLS);
    expect(rows.map((r) => [r.scenario, r.tool, r.seconds, r.timeRatio])).toEqual([
      ["no change", "slipway", 0.5, 1],
      ["no change", "docker", 6, 12],
      ["no change", "buildkit", 8, 16],
      ["app change", "slipway", 0.75, 1],
      ["app change", "docker", 3, 4],
      ["app change", "buildkit", 2, 2 / 0.75],
    ]);
    expect(rows[1].downloadRatio).toBe(131e6 / 2000);
    expect(rows[0].uploaded).toBe(2000);
  });

  test("targets: met and missed ones are named with the measured ratios", () => {
    const result = targets(summarize(samples(), SCENARIOS, TOOLS));
    expect(result.map((t) => t.met)).toEqual([true, false, true, true]);
    expect(result[1].detail).toBe("docker 4.0x, buildkit 2.7x");
    const withLayer = [...samples(), sample("slipway", "app change", 4, 0.7, 5000, 1200)];
    expect(targets(summarize(withLayer, SCENARIOS, TOOLS))[3]).toMatchObject({ met: false, detail: "1200 layer bytes at most in one run" });
  });

  test("tables: scenario named once per group, ratios only on peer rows", () => {
    const rows = summarize(samples(), SCENARIOS, TOOLS);
    const text = textTable(rows).split("\n");
    expect(text[0]).toMatch(/^scenario\s+tool\s+seconds\s+down MB\s+up MB\s+time vs slipway/);
    expect(text[1]).toMatch(/^no change\s+slipway\s+0\.50\s+<0\.01\s+<0\.01$/);
    expect(text[2]).toMatch(/^\s+docker\s+6\.00\s+131\.0\s+<0\.01\s+12x\s+65500x\s+1\.0x$/);
    const md = markdownTable(rows).split("\n");
    expect(md[1]).toBe("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    expect(md[3]).toBe("|  | docker | 6.00 | 131.0 | <0.01 | 12x | 65500x | 1.0x |");
  });

  test("the doc keeps its hand-written text and replaces only the results section", () => {
    const rows = summarize(samples(), SCENARIOS, TOOLS);
    const results: Results = {
      date: "2026-11-27T03:00:00Z",
      machine: { cores: 2, cpu: "cpu", memoryGB: 23, kernel: "6.1", docker: "Docker Engine 20.10.24", node: "v20" },
      load: { start: 0.5, end: 1.25 },
      settings: { runs: 3, baseBytes: 1e8, depsBytes: 3e7, app: "bench/app", slipway: "commit abc1234" },
      rows, targets: targets(rows), samples: samples(),
    };
    const first = spliceSection("# Benchmark\n\nMethod.\n", resultsSection(results));
    expect(first).toContain("Method.\n\n## Latest results\n\n<!-- bench:results:start -->");
    expect(first).toContain("Machine: 2 cores (cpu), 23 GB memory, Linux 6.1, Docker Engine 20.10.24, Node v20; 1-minute load average 0.5 at the start, 1.3 at the end.");
    const again = spliceSection(`${first}\nAfterword.\n`, resultsSection({ ...results, date: "later" }));
    expect(again.match(/bench:results:start/g)).toHaveLength(1);
    expect(again).toContain("Latest run: later");
    expect(again).toContain("Afterword.");
  });
});
