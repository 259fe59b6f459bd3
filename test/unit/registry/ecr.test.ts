import {
  BatchDeleteImageCommand, BatchGetImageCommand, ECRClient, GetAuthorizationTokenCommand, ImageAlreadyExistsException,
  ImageTagAlreadyExistsException, PutImageCommand, RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRegistry, createSdkEcrPort, parseEcrHost } from "../../../src/registry/index.ts";
import { ecrTokenCredentials } from "../../../src/registry/ecr.ts";
import { MEDIA_TYPES, type RetryPolicy } from "../../../src/registry/types.ts";

const HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const ecr = mockClient(ECRClient);

function fastRetry(attempts = 4): RetryPolicy & { delays: number[] } {
  const delays: number[] = [];
  return { attempts, baseDelayMs: 10, maxDelayMs: 100, delays, sleep: async (ms) => void delays.push(ms) };
}

function registry(retry = fastRetry()) {
  return createRegistry({ host: HOST, retry });
}

const manifestBody = new TextEncoder().encode('{"schemaVersion":2}');
const manifestResult = { digest: "sha256:abc", mediaType: MEDIA_TYPES.dockerManifest, body: manifestBody };
const throttled = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });

beforeEach(() => ecr.reset());
afterEach(() => vi.useRealTimers());

describe("ECR host recognition", () => {
  it("parses account and region from the host, and nothing else", () => {
    expect(parseEcrHost(HOST)).toEqual({ registryId: "123456789012", region: "eu-west-1" });
    expect(parseEcrHost("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com")).toEqual({ registryId: "123456789012", region: "us-east-1" });
    expect(parseEcrHost("127.0.0.1:5000")).toBeUndefined();
    expect(parseEcrHost("public.ecr.aws")).toBeUndefined();
  });
});

describe("ECR token", () => {
  it("is decoded, cached, and renewed 5 minutes before it expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const expiresAt = new Date("2026-01-01T12:00:00Z");
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: Buffer.from("AWS:secret-token").toString("base64"), expiresAt }],
    });
    const port = createSdkEcrPort({ region: "eu-west-1", registryId: "123456789012" });
    const creds = ecrTokenCredentials(() => port, fastRetry());
    expect(await creds.get(HOST)).toEqual({ username: "AWS", password: "secret-token" });
    vi.setSystemTime(new Date("2026-01-01T11:54:00Z"));
    await creds.get(HOST);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
    vi.setSystemTime(new Date("2026-01-01T11:56:00Z"));
    await creds.get(HOST);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)[0].args[0].input).toEqual({ registryIds: ["123456789012"] });
  });

  it("is retried when GetAuthorizationToken is throttled", async () => {
    ecr.on(GetAuthorizationTokenCommand).rejectsOnce(throttled()).resolves({
      authorizationData: [{ authorizationToken: Buffer.from("AWS:t").toString("base64"), expiresAt: new Date(Date.now() + 3600_000) }],
    });
    const creds = ecrTokenCredentials(() => createSdkEcrPort({ region: "eu-west-1", registryId: "123456789012" }), fastRetry());
    expect(await creds.get(HOST)).toEqual({ username: "AWS", password: "t" });
  });
});

describe("ECR tags", () => {
  it("writes a tag with PutImage, carrying the manifest, its media type and digest", async () => {
    ecr.on(PutImageCommand).resolves({});
    const reg = registry();
    await reg.tagManifest("app", "main", manifestResult);
    expect(ecr.commandCalls(PutImageCommand)[0].args[0].input).toEqual({
      registryId: "123456789012", repositoryName: "app", imageTag: "main", imageManifest: '{"schemaVersion":2}',
      imageManifestMediaType: MEDIA_TYPES.dockerManifest, imageDigest: "sha256:abc",
    });
  });

  it("treats ImageAlreadyExistsException as success", async () => {
    ecr.on(PutImageCommand).rejects(new ImageAlreadyExistsException({ message: "already there", $metadata: { httpStatusCode: 400 } }));
    await expect(registry().tagManifest("app", "main", manifestResult)).resolves.toBeUndefined();
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(1);
  });

  it("reports a tag held by another manifest (immutable tags) by its code, without retrying", async () => {
    ecr.on(PutImageCommand).rejects(new ImageTagAlreadyExistsException({ message: "tag taken", $metadata: { httpStatusCode: 400 } }));
    await expect(registry().tagManifest("app", "main", manifestResult)).rejects.toMatchObject({ name: "RegistryError", code: "ImageTagAlreadyExistsException" });
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(1);
  });

  it("retries PutImage on throttling with backoff", async () => {
    ecr.on(PutImageCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const retry = fastRetry();
    await registry(retry).tagManifest("app", "main", manifestResult);
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(3);
    expect(retry.delays).toHaveLength(2);
    expect(retry.delays[1]).toBeGreaterThan(retry.delays[0] / 2);
  });

  it("gives up after the policy's attempts with the throttling code", async () => {
    ecr.on(PutImageCommand).rejects(throttled());
    await expect(registry(fastRetry(3)).tagManifest("app", "main", manifestResult)).rejects.toMatchObject({ code: "ThrottlingException" });
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(3);
  });

  it("looks up 250 tags with 3 BatchGetImage calls of at most 100", async () => {
    ecr.on(BatchGetImageCommand).callsFake((input: { imageIds: Array<{ imageTag: string }> }) => ({
      images: input.imageIds.filter((id) => Number(id.imageTag.slice(1)) % 2 === 0).map((id) => ({
        imageId: { imageTag: id.imageTag, imageDigest: `sha256:${id.imageTag}` }, imageManifest: "{}", imageManifestMediaType: MEDIA_TYPES.ociManifest,
      })),
      failures: input.imageIds.filter((id) => Number(id.imageTag.slice(1)) % 2 === 1).map((id) => ({ imageId: id, failureCode: "ImageNotFound" })),
    }));
    const tags = Array.from({ length: 250 }, (_, i) => `t${i}`);
    const found = await registry().findTags("app", tags);
    const calls = ecr.commandCalls(BatchGetImageCommand);
    expect(calls.map((c) => c.args[0].input.imageIds?.length)).toEqual([100, 100, 50]);
    expect(found.size).toBe(125);
    expect(found.get("t4")).toEqual({ digest: "sha256:t4", mediaType: MEDIA_TYPES.ociManifest, size: 2 });
    expect(found.has("t5")).toBe(false);
  });

  it("retries a throttled BatchGetImage chunk and finds nothing in a missing repository", async () => {
    ecr.on(BatchGetImageCommand).rejectsOnce(throttled()).resolves({ images: [] });
    expect((await registry().findTags("app", ["a"])).size).toBe(0);
    expect(ecr.commandCalls(BatchGetImageCommand)).toHaveLength(2);
    ecr.reset();
    ecr.on(BatchGetImageCommand).rejects(new RepositoryNotFoundException({ message: "no repo", $metadata: { httpStatusCode: 400 } }));
    expect((await registry().findTags("app", ["a"])).size).toBe(0);
  });

  it("deletes by digest with BatchDeleteImage; ImageNotFound is fine, other failures are errors", async () => {
    ecr.on(BatchDeleteImageCommand).resolvesOnce({ failures: [{ imageId: { imageDigest: "sha256:abc" }, failureCode: "ImageNotFound" }] })
      .resolvesOnce({ failures: [{ imageId: { imageDigest: "sha256:abc" }, failureCode: "ImageReferencedByManifestList" }] });
    const reg = registry();
    await reg.deleteManifest("app", "sha256:abc");
    expect(ecr.commandCalls(BatchDeleteImageCommand)[0].args[0].input).toEqual({ registryId: "123456789012", repositoryName: "app", imageIds: [{ imageDigest: "sha256:abc", imageTag: undefined }] });
    await expect(reg.deleteManifest("app", "sha256:abc")).rejects.toMatchObject({ code: "ImageReferencedByManifestList" });
  });

  it("counts ECR API calls as requests", async () => {
    ecr.on(PutImageCommand).resolves({});
    const reg = registry();
    await reg.tagManifest("app", "a", manifestResult);
    await reg.tagManifest("app", "b", manifestResult);
    expect(reg.stats.requests).toBe(2);
    expect(reg.stats.bytesPushed).toBe(0);
  });
});
