import { describe, expect, it } from "vitest";
import { policyFromValue } from "../../../src/cleanup/policy.ts";
import { parseDuration as cleanupDuration } from "../../../src/cleanup/duration.ts";
import { parseFunctionsConfig } from "../../../src/functions-config/config.ts";
import { durationNs, durationOrThrow, parseDuration } from "../../../src/util/duration.ts";

const H = 3_600_000;

describe("the one duration grammar", () => {
  it.each([
    ["90s", 90_000], ["1h30m", 1.5 * H], ["1.5h", 1.5 * H], [".5h", 0.5 * H], ["1500ms", 1500], ["7d", 168 * H], ["2w", 336 * H],
    ["1w2d3h4m5s6ms", 604_800_000 + 2 * 86_400_000 + 3 * H + 4 * 60_000 + 5000 + 6], ["0", 0], ["0s", 0], [" 2h ", 2 * H], ["1000us", 1], ["1000000ns", 1],
  ])("%s = %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "2 hours", "90", "-5m", "1h 30m", "h", "1y", "1e3s", "5..m", "1h30"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("takes bare seconds only where a setting documents them", () => {
    expect(parseDuration("45", { bareSeconds: true })).toBe(45_000);
    expect(parseDuration("45")).toBeUndefined();
  });

  it("is the grammar of --grace, the cleanup policy, every SLIPWAY_* duration and HEALTHCHECK alike", () => {
    for (const text of ["1h30m", "7d", "2w", "90s", "1.5h"]) {
      const ms = parseDuration(text) as number;
      expect(durationOrThrow(text, "--grace")).toBe(ms);
      expect(cleanupDuration(text)).toBe(ms);
      expect(policyFromValue({ grace: text }).graceMs).toBe(ms);
      expect(parseFunctionsConfig({ SLIPWAY_NODE_TTL: text, SLIPWAY_RECONCILE_AFTER: text }).nodeTtlMs).toBe(ms);
      expect(durationNs(text)).toBe(ms * 1e6);
    }
    expect(() => durationOrThrow("1h30", "--grace")).toThrow(/--grace: "1h30" is not a duration/);
    expect(() => parseFunctionsConfig({ SLIPWAY_NODE_TTL: "1h30" })).toThrow(/SLIPWAY_NODE_TTL/);
  });
});
