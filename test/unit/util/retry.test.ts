import { describe, expect, it } from "vitest";
import { isTransferRetryable } from "../../../src/engine/docker.ts";
import { EngineError } from "../../../src/errors.ts";
import { isTransient } from "../../../src/fleet/ec2/errors.ts";
import { awsErrorCode, awsHttpStatus, isAwsThrottle } from "../../../src/util/aws-errors.ts";
import { retry, withRetryAfter } from "../../../src/util/retry.ts";

const sdkError = (name: string, status?: number) => Object.assign(new Error(`${name} happened`), { name, ...(status !== undefined && { $metadata: { httpStatusCode: status } }) });

function policy(attempts: number) {
  const delays: number[] = [];
  return { attempts, baseDelayMs: 100, maxDelayMs: 1000, random: () => 1, delays, sleep: async (ms: number) => void delays.push(ms) };
}

describe("the shared retry policy", () => {
  it("asks the caller's classifier, and stops at the attempt limit", async () => {
    const p = policy(4);
    const seen: unknown[] = [];
    let calls = 0;
    const op = async () => {
      calls++;
      throw new Error(`try ${calls}`);
    };
    await expect(retry(p, (err) => (seen.push(err), true), op)).rejects.toThrow("try 4");
    expect(calls).toBe(4);
    expect(seen).toHaveLength(3);
    expect(p.delays).toEqual([100, 200, 400]);
  });

  it("never retries what the classifier calls final", async () => {
    const p = policy(5);
    let calls = 0;
    await expect(retry(p, () => false, async () => Promise.reject(new Error(`no ${++calls}`)))).rejects.toThrow("no 1");
    expect(p.delays).toEqual([]);
  });

  it("waits at least the server's Retry-After", async () => {
    const p = policy(2);
    let calls = 0;
    expect(await retry(p, () => true, async () => (++calls === 1 ? Promise.reject(withRetryAfter(new Error("slow down"), "2")) : "ok"))).toBe("ok");
    expect(p.delays).toEqual([2000]);
  });
});

describe("classifiers", () => {
  it("AWS: code from the SDK error's name, status from $metadata", () => {
    expect(awsErrorCode(sdkError("ParameterNotFound", 400))).toBe("ParameterNotFound");
    expect(awsHttpStatus(sdkError("ParameterNotFound", 400))).toBe(400);
    expect(awsErrorCode("boom")).toBe("");
    expect(awsHttpStatus(new Error("socket hang up"))).toBeUndefined();
    expect(isAwsThrottle(sdkError("ThrottlingException", 400))).toBe(true);
    expect(isAwsThrottle(sdkError("AccessDeniedException", 400))).toBe(false);
  });

  it("EC2: throttling and 5xx are transient, other errors final", () => {
    expect([sdkError("RequestLimitExceeded", 503), sdkError("InternalError", 500), sdkError("Unavailable", 503)].map(isTransient)).toEqual([true, true, true]);
    expect([sdkError("UnauthorizedOperation", 403), sdkError("InvalidLaunchTemplateId.NotFound", 400), new Error("RequestLimitExceeded")].map(isTransient)).toEqual([false, false, false]);
  });

  it("engine transfers: a 4xx from the engine is final, anything else is tried again", () => {
    expect(isTransferRetryable(new EngineError("pull access denied", 404))).toBe(false);
    expect(isTransferRetryable(Object.assign(new Error("unauthorized"), { statusCode: 401 }))).toBe(false);
    expect(isTransferRetryable(new EngineError("received unexpected HTTP status: 503 Service Unavailable"))).toBe(true);
    expect(isTransferRetryable(Object.assign(new Error("server error"), { statusCode: 500 }))).toBe(true);
  });
});
