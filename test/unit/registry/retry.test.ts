import { describe, expect, it } from "vitest";
import { RegistryError } from "../../../src/errors.ts";
import { parseChallenge } from "../../../src/registry/auth.ts";
import { parseNextLink } from "../../../src/registry/oci.ts";
import { backoffDelay, isRetryable, NETWORK_ERROR, parseRetryAfter, withRetry, withRetryAfter } from "../../../src/registry/retry.ts";

const policy = (attempts = 4) => {
  const delays: number[] = [];
  return { attempts, baseDelayMs: 100, maxDelayMs: 1000, random: () => 1, delays, sleep: async (ms: number) => void delays.push(ms) };
};

describe("retry classification (by status and code only)", () => {
  it.each([
    [new RegistryError("x", 429, "TOOMANYREQUESTS"), true],
    [new RegistryError("x", 500), true],
    [new RegistryError("x", 503), true],
    [new RegistryError("x", undefined, NETWORK_ERROR), true],
    [new RegistryError("x", 400, "ThrottlingException"), true],
    [new RegistryError("x", 400, "MANIFEST_INVALID"), false],
    [new RegistryError("x", 401, "UNAUTHORIZED"), false],
    [new RegistryError("x", 404, "MANIFEST_UNKNOWN"), false],
    [new RegistryError("fetch failed 503 socket hang up"), false],
    [new Error("ECONNRESET"), false],
  ])("%s -> %s", (err, retryable) => {
    expect(isRetryable(err)).toBe(retryable);
  });
});

describe("backoff", () => {
  it("grows exponentially up to the cap, with jitter in [half, full]", () => {
    const p = policy();
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(p, n, undefined))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay({ ...p, random: () => 0 }, 3, undefined)).toBe(200);
  });

  it("honours Retry-After (seconds or HTTP date), capped at a minute", () => {
    const p = policy();
    expect(backoffDelay(p, 1, withRetryAfter(new RegistryError("x", 429), "3"))).toBe(3000);
    expect(backoffDelay(p, 1, withRetryAfter(new RegistryError("x", 429), "3600"))).toBe(60_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(5000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("withRetry", () => {
  it("retries transient failures and stops at the attempt limit", async () => {
    const p = policy(3);
    let calls = 0;
    await expect(withRetry(p, async () => { calls++; throw new RegistryError("x", 502); })).rejects.toMatchObject({ status: 502 });
    expect(calls).toBe(3);
    expect(p.delays).toEqual([100, 200]);
  });

  it("returns as soon as an attempt succeeds and never retries a 4xx", async () => {
    let calls = 0;
    expect(await withRetry(policy(), async () => (++calls < 2 ? Promise.reject(new RegistryError("x", undefined, NETWORK_ERROR)) : "ok"))).toBe("ok");
    calls = 0;
    await expect(withRetry(policy(), async () => { calls++; throw new RegistryError("x", 403); })).rejects.toMatchObject({ status: 403 });
    expect(calls).toBe(1);
  });
});

describe("header parsing", () => {
  it("parses Bearer and Basic challenges", () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"')).toEqual({
      scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:samalba/my-app:pull,push" },
    });
    expect(parseChallenge('Basic realm="slipway"')).toEqual({ scheme: "basic", params: { realm: "slipway" } });
    expect(parseChallenge(null)).toBeUndefined();
  });

  it("finds the next page in a Link header", () => {
    expect(parseNextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe("/v2/a/tags/list?n=2&last=b");
    expect(parseNextLink('<https://r/v2/a/tags/list?last=c>; rel="prev", <https://r/v2/a/tags/list?last=d>; rel=next')).toBe("https://r/v2/a/tags/list?last=d");
    expect(parseNextLink(null)).toBeUndefined();
  });
});
