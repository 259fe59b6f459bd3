import { describe, expect, test } from "vitest";
import type { Scenario } from "../../../bench/lib/app.ts";
import { link } from "../../../bench/lib/link.ts";
import { summarize } from "../../../bench/lib/summary.ts";
import type { ToolName } from "../../../bench/lib/tools.ts";
import { sample } from "./samples.ts";

const SCENARIOS: Scenario[] = ["cold", "no change", "app change", "dependency change"];
const TOOLS: ToolName[] = ["slipway", "slipway-dockerfile", "docker", "buildkit"];
/** 8 Gbps = 1 GB/s, 10 ms per request: easy numbers for the link model. */
const LINK = link(8, 10);

describe("bench summary", () => {
  test("medians per tool and scenario; slipway rows carry peer / slipway per peer", () => {
    const samples = [1, 2, 3].flatMap((run) => [
      sample("slipway", "no change", run, [0.5, 0.4, 9][run - 1], { downloaded: 2000 }),
      sample("slipway-dockerfile", "no change", run, 1),
      sample("docker", "no change", run, 6, { downloaded: 131e6, layerDownloaded: 131e6 }),
      sample("buildkit", "no change", run, 6 + run),
    ]);
    const rows = summarize(samples, "app", SCENARIOS, TOOLS, LINK);
    expect(rows.map((r) => [r.tool, r.seconds, r.speedup])).toEqual([
      ["slipway", 0.5, { docker: 12, buildkit: 16 }],
      ["slipway-dockerfile", 1, { docker: 6, buildkit: 8 }],
      ["docker", 6, undefined],
      ["buildkit", 8, undefined],
    ]);
    expect(rows[0]).toMatchObject({ runs: 3, downloaded: 2000, uploaded: 2000, requests: 10, maxLayerDownloaded: 0 });
  });

  test("the modelled link adds bytes at the bandwidth and one round trip per request, per run, then the median", () => {
    const samples = [
      sample("slipway", "cold", 1, 1, { downloaded: 1e9, uploaded: 0, requests: 100 }),
      sample("docker", "cold", 1, 2, { downloaded: 2e9, uploaded: 0, requests: 0 }),
    ];
    const [ours, docker] = summarize(samples, "app", SCENARIOS, TOOLS, LINK);
    expect(ours.modelledSeconds).toBeCloseTo(1 + 1 + 1, 9);
    expect(docker.modelledSeconds).toBeCloseTo(2 + 2, 9);
    expect(ours.speedup?.docker).toBe(2);
    expect(ours.modelledSpeedup?.docker).toBeCloseTo(4 / 3, 9);
    expect(ours.speedup).not.toHaveProperty("buildkit");
  });

  test("phases: medians over the runs whose report has them, absent otherwise", () => {
    const detail = (phases?: Record<string, number>) => ({ stages: {}, stageSeconds: {}, bpSeconds: 1, ...(phases ? { phases } : {}) });
    const samples = [
      sample("slipway", "cold", 1, 3, { slipway: detail({ pull: 1, run: 2 }) }),
      sample("slipway", "cold", 2, 3, { slipway: detail({ pull: 3 }) }),
      sample("slipway", "cold", 3, 3, { slipway: detail() }),
      sample("slipway-dockerfile", "cold", 1, 3, { slipway: detail() }),
    ];
    const [ours, df] = summarize(samples, "app", SCENARIOS, TOOLS, LINK);
    expect(ours.phases).toEqual({ pull: 2, run: 2 });
    expect(df.phases).toBeUndefined();
  });

  test("variants are separate rows, compared only with the peers' same variant; other suites are left out", () => {
    const samples = [
      sample("slipway", "cold", 1, 4, { suite: "multi", variant: "all" }),
      sample("slipway", "cold", 1, 3, { suite: "multi", variant: "api" }),
      sample("docker", "cold", 1, 8, { suite: "multi", variant: "all" }),
      sample("docker", "cold", 1, 99),
    ];
    const rows = summarize(samples, "multi", SCENARIOS, TOOLS, LINK);
    expect(rows.map((r) => [r.tool, r.variant, r.speedup])).toEqual([
      ["slipway", "all", { docker: 2 }],
      ["slipway", "api", undefined],
      ["docker", "all", undefined],
    ]);
  });
});
