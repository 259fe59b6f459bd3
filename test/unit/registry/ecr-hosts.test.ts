import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.ts";
import { ecrTargetOf, parseEcrHosts } from "../../../src/registry/ecr-hosts.ts";
import { ecrTokenCredentials } from "../../../src/registry/ecr-token.ts";
import type { EcrPort } from "../../../src/registry/types.ts";
import { fastRetry } from "./fixtures.ts";

describe("SLIPWAY_ECR_HOSTS", () => {
  it("declares hosts as ECR registries; ECR's own host names need no declaration", () => {
    const hosts = parseEcrHosts("127.0.0.1:5000=123456789012/us-east-1, vpce-1.dkr.ecr.eu-west-1.vpce.amazonaws.com=210987654321/eu-west-1");
    expect(ecrTargetOf("127.0.0.1:5000", hosts)).toEqual({ registryId: "123456789012", region: "us-east-1" });
    expect(ecrTargetOf("vpce-1.dkr.ecr.eu-west-1.vpce.amazonaws.com", hosts)).toEqual({ registryId: "210987654321", region: "eu-west-1" });
    expect(ecrTargetOf("111111111111.dkr.ecr.ap-south-1.amazonaws.com", hosts)).toEqual({ registryId: "111111111111", region: "ap-south-1" });
    expect(ecrTargetOf("127.0.0.1:5001", hosts)).toBeUndefined();
    expect(parseEcrHosts(undefined).size).toBe(0);
  });

  it("refuses a malformed entry as a usage error naming it", () => {
    expect(() => parseEcrHosts("127.0.0.1:5000=12345/us-east-1")).toThrow(UsageError);
    expect(() => parseEcrHosts("127.0.0.1:5000")).toThrow(/127\.0\.0\.1:5000/);
  });
});

describe("the ECR token source", () => {
  function port(expiresInMs: number) {
    const api = { calls: 0, async getAuthorizationToken() {
      api.calls++;
      return { username: "AWS", password: `t${api.calls}`, expiresAt: new Date(Date.now() + expiresInMs) };
    } };
    return api as unknown as EcrPort & { calls: number };
  }

  it("shares one call among parallel users, renews when invalidated", async () => {
    const api = port(12 * 3600_000);
    const token = ecrTokenCredentials(async () => api, fastRetry());
    const headers = await Promise.all([token.header(), token.header(), token.get("h")]);
    expect(api.calls).toBe(1);
    expect(headers[0]).toBe(`Basic ${Buffer.from("AWS:t1").toString("base64")}`);
    token.invalidate();
    expect(await token.get("h")).toEqual({ username: "AWS", password: "t2" });
    expect(api.calls).toBe(2);
  });

  it("renews a token that expires within five minutes on every use", async () => {
    const api = port(60_000);
    const token = ecrTokenCredentials(async () => api, fastRetry());
    await token.header();
    await token.header();
    expect(api.calls).toBe(2);
  });
});
