import { describe, expect, test } from "vitest";
import { readPhases, slipwayDetail } from "../../../bench/lib/report.ts";

describe("slipway's bp report as the bench reads it", () => {
  test("stage statuses and seconds, named image.stage; phases per stage and in total where present", () => {
    const detail = slipwayDetail({
      images: [
        { name: "", stages: [{ name: "install", status: "built", seconds: 1.5, phases: { pull: 0.5, run: 0.75, commit: 0.1, upload: 0.2 } }] },
        { name: "api", stages: [{ name: "from", status: "registry", seconds: 0.01 }] },
      ],
      totals: { seconds: 2, phases: { pull: 0.5, run: 0.75, commit: 0.1, upload: 0.2, manifests: 0.05 } },
    });
    expect(detail).toEqual({
      stages: { install: "built", "api.from": "registry" },
      stageSeconds: { install: 1.5, "api.from": 0.01 },
      stagePhases: { install: { pull: 0.5, run: 0.75, commit: 0.1, upload: 0.2 } },
      bpSeconds: 2,
      phases: { pull: 0.5, run: 0.75, commit: 0.1, upload: 0.2, manifests: 0.05 },
    });
  });

  test("a report without phases has none (never zeros); odd values are dropped, not guessed", () => {
    const detail = slipwayDetail({ images: [{ name: "", stages: [{ name: "from", status: "registry", seconds: 0 }] }], totals: { seconds: 0.3 } });
    expect(detail).not.toHaveProperty("phases");
    expect(detail).not.toHaveProperty("stagePhases");
    expect(readPhases({ pull: -1, run: "2", commit: Number.NaN, upload: 3, other: 1 })).toEqual({ upload: 3 });
    expect(readPhases({})).toBeUndefined();
    expect(readPhases(null)).toBeUndefined();
  });

  test("output that is not a build report is an error", () => {
    expect(() => slipwayDetail({ error: { message: "no" } })).toThrow(/no build report/);
  });
});
