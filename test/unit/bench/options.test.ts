import { describe, expect, test } from "vitest";
import { parseOptions, pickList } from "../../../bench/lib/options.ts";

const HERE = "/repo/bench";

describe("bench options", () => {
  test("defaults: every suite, scenario and tool, three runs, the committed outputs and the README", () => {
    const o = parseOptions([], HERE);
    expect(o).toMatchObject({ runs: 3, suites: ["app", "multi", "cache"], tools: ["slipway", "slipway-dockerfile", "docker", "buildkit"], doc: "/repo/docs/bench.md", readme: "/repo/README.md", json: "/repo/bench/results.json" });
    expect(o.scenarios).toEqual(["cold", "no change", "app change", "dependency change"]);
    expect(o.link.bitsPerSecond).toBe(1.25e9);
  });

  test("picking suites and scenarios keeps the chain order; another doc leaves the README alone", () => {
    const o = parseOptions(["--suites", "cache,app", "--scenarios", "dependency change,cold", "--runs", "1", "--doc", "/tmp/b.md", "--link-gbps", "10", "--link-rtt-ms", "1"], HERE);
    expect(o.suites).toEqual(["app", "cache"]);
    expect(o.scenarios).toEqual(["cold", "dependency change"]);
    expect(o.readme).toBeUndefined();
    expect(o.link).toMatchObject({ bitsPerSecond: 1e10, rttSeconds: 0.001 });
  });

  test("unknown names and bad numbers are refused with the flag named", () => {
    expect(() => pickList("suites", "app,nope", ["app", "multi"])).toThrow(/--suites: expected a comma-separated list of app, multi, got "app,nope"/);
    expect(() => parseOptions(["--runs", "0"], HERE)).toThrow(/--runs must be a positive integer/);
    expect(() => parseOptions(["--link-gbps", "x"], HERE)).toThrow(/--link-gbps/);
  });
});
