import { BatchDeleteImageCommand, ECRClient } from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ecrDeleter } from "../../../src/cleanup/delete.ts";
import { createSdkEcrPort } from "../../../src/registry/index.ts";
import type { RetryPolicy } from "../../../src/registry/types.ts";

const ecr = mockClient(ECRClient);
const throttled = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ tag: `t${i}`, digest: `sha256:${String(i).padStart(64, "0")}` }));

function retry(attempts = 5): RetryPolicy & { delays: number[] } {
  const delays: number[] = [];
  return { attempts, baseDelayMs: 10, maxDelayMs: 100, delays, sleep: async (ms) => void delays.push(ms) };
}

async function deleter(policy = retry()) {
  return ecrDeleter(await createSdkEcrPort({ region: "eu-west-1", registryId: "123456789012", client: new ECRClient({ region: "eu-west-1" }) }), policy);
}

beforeEach(() => ecr.reset());

describe("ECR deletion", () => {
  it("deletes by tag, at most 100 ids a call", async () => {
    ecr.on(BatchDeleteImageCommand).resolves({ failures: [] });
    const progress: number[] = [];
    const out = await (await deleter()).delete("app", items(250), (n) => progress.push(n));
    const calls = ecr.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.imageIds!.length)).toEqual([100, 100, 50]);
    expect(calls[0]).toMatchObject({ repositoryName: "app", registryId: "123456789012" });
    expect(calls[0].imageIds![0]).toEqual({ imageTag: "t0" });
    expect(calls.flatMap((c) => c.imageIds!.map((i) => i.imageDigest)).every((d) => d === undefined)).toBe(true);
    expect(out.every((o) => o.result === "deleted")).toBe(true);
    expect(progress).toEqual([100, 200, 250]);
  });

  it("retries a throttled call with backoff and then succeeds", async () => {
    ecr.on(BatchDeleteImageCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({ failures: [] });
    const policy = retry();
    const out = await (await deleter(policy)).delete("app", items(3));
    expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(3);
    expect(policy.delays).toHaveLength(2);
    expect(out.map((o) => o.result)).toEqual(["deleted", "deleted", "deleted"]);
  });

  it("reports per-id failures; ImageNotFound counts as already gone", async () => {
    ecr.on(BatchDeleteImageCommand).resolves({ failures: [
      { imageId: { imageTag: "t1" }, failureCode: "ImageNotFound", failureReason: "gone" },
      { imageId: { imageTag: "t2" }, failureCode: "KmsError", failureReason: "no" },
    ] });
    const out = await (await deleter()).delete("app", items(3));
    expect(out.map((o) => o.result)).toEqual(["deleted", "gone", "failed"]);
    expect(out[2].error).toContain("KmsError");
  });

  it("gives up after the retry budget and marks the batch failed, without throwing", async () => {
    ecr.on(BatchDeleteImageCommand).rejects(throttled());
    const out = await (await deleter(retry(3))).delete("app", items(2));
    expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(3);
    expect(out.every((o) => o.result === "failed" && o.error?.includes("ThrottlingException"))).toBe(true);
  });
});
