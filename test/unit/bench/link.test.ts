import { describe, expect, test } from "vitest";
import { EC2_TO_ECR, link, modelledSeconds, transferSeconds } from "../../../bench/lib/link.ts";

describe("modelled EC2-to-ECR link", () => {
  test("the default is c5.xlarge's baseline bandwidth and 5 ms per request", () => {
    expect(EC2_TO_ECR.bitsPerSecond).toBe(1.25e9);
    expect(EC2_TO_ECR.rttSeconds).toBe(0.005);
    expect(link(1.25, 5)).toBe(EC2_TO_ECR);
    // 131 MB at 1.25 Gbps (156.25 MB/s) is 0.8384 s; 40 requests add 0.2 s.
    expect(transferSeconds(EC2_TO_ECR, 131e6, 40)).toBeCloseTo(0.8384 + 0.2, 9);
  });

  test("a job's modelled seconds are its measured seconds plus its bytes both ways and its requests", () => {
    const l = link(8, 20);
    expect(modelledSeconds(l, { seconds: 1.5, downloaded: 1e9, uploaded: 5e8, requests: 50 })).toBeCloseTo(1.5 + 1.5 + 1, 9);
    expect(modelledSeconds(l, { seconds: 0.3, downloaded: 0, uploaded: 0, requests: 0 })).toBe(0.3);
    expect(link(10, 1).description).toBe("10 Gbps, 1 ms per request (given on the command line)");
  });

  test("a link without bandwidth or with a negative round trip is refused", () => {
    expect(() => link(0, 5)).toThrow(/bandwidth above 0/);
    expect(() => link(1, -1)).toThrow(/round trip/);
  });
});
