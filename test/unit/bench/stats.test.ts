import { describe, expect, test } from "vitest";
import { formatMB, formatRatio, median, ratio } from "../../../bench/lib/stats.ts";

describe("bench statistics", () => {
  test("median of odd and even counts, independent of order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 1, 4, 3])).toBe(3.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/empty/);
  });

  test("ratio is peer over slipway, with the zero cases made explicit", () => {
    expect(ratio(10, 2)).toBe(5);
    expect(ratio(0, 0)).toBeUndefined();
    expect(ratio(5, 0)).toBe(Infinity);
    expect(formatRatio(ratio(10, 2))).toBe("5.0x");
    expect(formatRatio(ratio(131, 2))).toBe("66x");
    expect(formatRatio(undefined)).toBe("–");
    expect(formatRatio(Infinity)).toBe("∞");
  });

  test("megabytes never show a small non-zero amount as zero", () => {
    expect(formatMB(0)).toBe("0");
    expect(formatMB(1500)).toBe("<0.01");
    expect(formatMB(2_500_000)).toBe("2.50");
    expect(formatMB(131_100_000)).toBe("131.1");
  });
});
