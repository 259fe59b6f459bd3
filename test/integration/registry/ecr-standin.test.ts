/**
 * slipway's registry client against the ECR stand-in, through the real @aws-sdk/client-ecr:
 * repositories must exist (or be created on push under the template's prefix), IAM decides,
 * mounts need BLOB_MOUNTING, 100-id limits hold, expired tokens are renewed.
 */
import { BatchDeleteImageCommand, BatchGetImageCommand, CreateRepositoryCommand, DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ecrDeleter } from "../../../src/cleanup/delete.ts";
import { RegistryError } from "../../../src/errors.ts";
import { createRegistry, createSdkEcrPort } from "../../../src/registry/index.ts";
import { send } from "../../../src/registry/transport.ts";
import { request } from "node:http";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { withoutAction } from "../../support/ecr-iam.ts";
import { ACCOUNT, asShipped, CLEANUP_KEY, infraNodePolicy, NODE_KEY, REGION } from "../../support/ecr-infra.ts";
import type { EcrStandInOptions } from "../../support/ecr-model.ts";
import { startEcrStandIn, type EcrStandIn } from "../../support/ecr-standin.ts";
import { testRegistry } from "../../support/services.ts";
import { configBlob, fastRetry, manifest, randomBlob } from "../../unit/registry/fixtures.ts";

let upstream: LocalRegistry;
beforeAll(async () => {
  upstream = await testRegistry();
});
afterAll(async () => {
  await upstream?.stop();
});

/** One GET, redirects not followed, headers as given. */
function fetchNoFollow(url: string, authorization: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { authorization } }, async (res) => {
      let body = "";
      for await (const c of res) body += c;
      resolve({ status: res.statusCode ?? 0, location: res.headers.location, body });
    }).on("error", reject).end();
  });
}

function sdk(ecr: EcrStandIn, key = NODE_KEY): ECRClient {
  return new ECRClient({ region: REGION, endpoint: ecr.endpoint, credentials: { accessKeyId: key, secretAccessKey: "x" }, maxAttempts: 1 });
}

async function client(ecr: EcrStandIn, key = NODE_KEY): Promise<Registry> {
  const port = await createSdkEcrPort({ region: REGION, registryId: ACCOUNT, client: sdk(ecr, key) });
  return createRegistry({ host: ecr.host, ecr: port, retry: fastRetry(), ecrHosts: new Map([[ecr.host, { registryId: ACCOUNT, region: REGION }]]) });
}

async function standIn(over: Partial<EcrStandInOptions> & { nodePolicy?: ReturnType<typeof infraNodePolicy> } = {}): Promise<EcrStandIn> {
  return startEcrStandIn(asShipped(over), upstream);
}

/** An image (config + one layer) in `repo`; returns its layer and manifest. */
async function pushImage(reg: Registry, repo: string, tag: string) {
  const config = configBlob();
  const layer = randomBlob(4096);
  await reg.pushBlob(repo, layer.digest, layer.data);
  await reg.pushBlob(repo, config.digest, config.data);
  const m = manifest("oci", config, [layer]);
  await reg.putManifest(repo, tag, m.body, m.mediaType);
  return { config, layer, m };
}

describe("ECR stand-in with the infra as shipped", () => {
  it("a repository that was never created is NAME_UNKNOWN / RepositoryNotFoundException, and has no tags", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    expect(await reg.listTags("slipway/ghost")).toEqual([]);
    expect(await reg.headManifest("slipway/ghost", "main")).toBeUndefined();
    expect(await reg.findTags("slipway/ghost", ["a"])).toEqual(new Map());
    const err = await sdk(ecr).send(new BatchGetImageCommand({ repositoryName: "slipway/ghost", imageIds: [{ imageTag: "a" }] })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "RepositoryNotFoundException" });
    const raw = await fetch(`${ecr.endpoint}/v2/slipway/ghost/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`AWS:${ecr.model.issueToken(ecr.model.opts.principals[NODE_KEY]).password}`).toString("base64")}` } });
    expect(raw.status).toBe(404);
    expect(((await raw.json()) as { errors: Array<{ code: string }> }).errors[0].code).toBe("NAME_UNKNOWN");
  });

  it("outside the project's prefix the node may do nothing, and nothing is created", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    const config = configBlob();
    const push = await reg.pushBlob("other", config.digest, config.data).catch((e: unknown) => e);
    expect(push).toMatchObject({ status: 403, code: "DENIED", repository: "other" });
    // A HEAD's 403 has no body: the client names the actions and the repository itself.
    expect((push as Error).message).toMatch(/403 DENIED.*ecr:BatchCheckLayerAvailability.* on repository other/);
    expect(ecr.model.repositories.has("other")).toBe(false);
  });

  it("creates slipway/<image> on its first push (creation template + ecr:CreateRepository) and mounts layers from the stages repository", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    const { layer } = await pushImage(reg, "slipway", "stage-1");
    const before = reg.stats.bytesPushed;
    await reg.pushBlob("slipway/app", layer.digest, () => reg.getBlob("slipway", layer.digest), "slipway");
    expect(reg.stats.bytesPushed - before).toBe(0);
    expect(ecr.model.repositories.has("slipway/app")).toBe(true);
  });

  it("without ecr:CreateRepository the push is refused naming the action and the repository", async () => {
    await using ecr = await standIn({ nodePolicy: withoutAction(infraNodePolicy(), "ecr:CreateRepository") });
    const reg = await client(ecr);
    const config = configBlob();
    const err = await reg.pushBlob("slipway/app", config.digest, config.data).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ status: 403, code: "DENIED", repository: "slipway/app" });
    expect((err as Error).message).toContain("ecr:CreateRepository on resource: arn:aws:ecr:us-east-1:123456789012:repository/slipway/app");
  });

  it("with BLOB_MOUNTING off a mount is answered with an upload session: the client uploads and counts the bytes", async () => {
    await using ecr = await standIn({ blobMounting: false });
    const reg = await client(ecr);
    const { layer } = await pushImage(reg, "slipway", "stage-1");
    const [pulled, pushed] = [reg.stats.bytesPulled, reg.stats.bytesPushed];
    const out = await reg.pushBlob("slipway/app", layer.digest, () => reg.getBlob("slipway", layer.digest), "slipway");
    expect(out).toEqual({ uploaded: true });
    expect(reg.stats.bytesPulled - pulled).toBe(layer.data.byteLength);
    expect(reg.stats.bytesPushed - pushed).toBe(layer.data.byteLength);
    expect(await reg.hasBlob("slipway/app", layer.digest)).toBe(true);
  });

  it("layer downloads are redirected to a pre-signed bucket URL: slipway follows without its token, which the bucket would refuse", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    const { layer } = await pushImage(reg, "slipway", "redirected");
    expect(Buffer.from(await reg.getBlob("slipway", layer.digest)).equals(Buffer.from(layer.data))).toBe(true);
    const chunks: Uint8Array[] = [];
    for await (const c of (await reg.getBlobStream("slipway", layer.digest)) as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
    expect(Buffer.concat(chunks).equals(Buffer.from(layer.data))).toBe(true);
    // What a client that kept its Authorization header across the redirect would get (as from S3).
    const token = `Basic ${Buffer.from(`AWS:${ecr.model.issueToken(ecr.model.opts.principals[NODE_KEY]).password}`).toString("base64")}`;
    const first = await send(`http://${ecr.host}/v2/slipway/blobs/${layer.digest}`, { headers: { authorization: token } });
    expect(first.status).toBe(200);
    const raw = await fetchNoFollow(`http://${ecr.host}/v2/slipway/blobs/${layer.digest}`, token);
    expect(raw.status).toBe(307);
    const forwarded = await fetchNoFollow(raw.location as string, token);
    expect([forwarded.status, forwarded.body]).toEqual([400, expect.stringContaining("Only one auth mechanism allowed")]);
  });

  it("a token the registry stopped accepting is renewed once and the call succeeds", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    await pushImage(reg, "slipway", "t1");
    expect(ecr.model.tokensIssued).toBe(1);
    ecr.model.expireTokens();
    expect(await reg.listTags("slipway")).toEqual(["t1"]);
    expect(ecr.model.tokensIssued).toBe(2);
  });

  it("immutable tags: moving one is ImageTagAlreadyExistsException (PutImage) / TAG_INVALID (registry API)", async () => {
    await using ecr = await standIn({ repositories: [{ name: "slipway", immutable: true }] });
    const reg = await client(ecr);
    await pushImage(reg, "slipway", "main");
    const other = await pushImage(reg, "slipway", "other");
    const moved = await reg.tagManifest("slipway", "main", { digest: other.m.digest, mediaType: other.m.mediaType, body: other.m.body }).catch((e: unknown) => e);
    expect(moved).toMatchObject({ code: "ImageTagAlreadyExistsException", repository: "slipway" });
    const put = await reg.putManifest("slipway", "main", other.m.body, other.m.mediaType).catch((e: unknown) => e);
    expect(put).toMatchObject({ status: 400, code: "TAG_INVALID" });
    // The same manifest under the same tag is no move: PutImage answers ImageAlreadyExistsException, a success here.
    await reg.tagManifest("slipway", "other", { digest: other.m.digest, mediaType: other.m.mediaType, body: other.m.body });
  });

  it("enforces the 100-id limits; slipway chunks its lookups to stay within them", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    await pushImage(reg, "slipway", "t-7");
    const ids = Array.from({ length: 101 }, (_, i) => ({ imageTag: `t-${i}` }));
    const err = await sdk(ecr).send(new BatchGetImageCommand({ repositoryName: "slipway", imageIds: ids })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "InvalidParameterException" });
    const found = await reg.findTags("slipway", ids.map((i) => i.imageTag));
    expect([...found.keys()]).toEqual(["t-7"]);
    const calls = ecr.model.decisions.filter((d) => d.action === "ecr:BatchGetImage" && d.resource.endsWith(":repository/slipway"));
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it("BatchDeleteImage takes 100 ids: the cleanup deleter removes 150 tags in two calls, by tag", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    const { m } = await pushImage(reg, "slipway", "keep");
    const tags = Array.from({ length: 150 }, (_, i) => `t-${i}`);
    for (const tag of tags) await reg.tagManifest("slipway", tag, { digest: m.digest, mediaType: m.mediaType, body: m.body });
    const tooMany = await sdk(ecr, CLEANUP_KEY).send(new BatchDeleteImageCommand({ repositoryName: "slipway", imageIds: tags.slice(0, 101).map((imageTag) => ({ imageTag })) })).catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ name: "InvalidParameterException" });
    const port = await createSdkEcrPort({ region: REGION, registryId: ACCOUNT, client: sdk(ecr, CLEANUP_KEY) });
    const before = ecr.model.decisions.filter((d) => d.action === "ecr:BatchDeleteImage").length;
    const out = await ecrDeleter(port, fastRetry()).delete("slipway", tags.map((tag) => ({ tag, digest: m.digest })));
    expect(out.every((o) => o.result === "deleted")).toBe(true);
    expect(ecr.model.decisions.filter((d) => d.action === "ecr:BatchDeleteImage").length - before).toBe(2);
    // Deleting by tag only untags: the image stays under the tag nobody deleted.
    expect([...ecr.model.repositories.get("slipway")!.tags.keys()]).toEqual(["keep"]);
  });

  it("DescribeImages pages and limits as ECR; CreateRepository needs its permission and a free name", async () => {
    await using ecr = await standIn();
    const reg = await client(ecr);
    const { m } = await pushImage(reg, "slipway", "a");
    await pushImage(reg, "slipway", "b");
    const api = sdk(ecr, CLEANUP_KEY);
    const first = await api.send(new DescribeImagesCommand({ repositoryName: "slipway", maxResults: 1 }));
    expect(first.imageDetails).toHaveLength(1);
    const second = await api.send(new DescribeImagesCommand({ repositoryName: "slipway", maxResults: 1, nextToken: first.nextToken }));
    expect(second.nextToken).toBeUndefined();
    const byTag = await api.send(new DescribeImagesCommand({ repositoryName: "slipway", imageIds: [{ imageTag: "a" }] }));
    expect(byTag.imageDetails?.[0]).toMatchObject({ imageDigest: m.digest, imageTags: ["a"], imageManifestMediaType: m.mediaType });
    expect(byTag.imageDetails?.[0].imagePushedAt).toBeInstanceOf(Date);
    const tooMany = await api.send(new DescribeImagesCommand({ repositoryName: "slipway", imageIds: Array.from({ length: 101 }, (_, i) => ({ imageTag: `x${i}` })) })).catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ name: "InvalidParameterException" });
    // The cleanup role may not create repositories; the node may, under the prefix, once.
    expect(await api.send(new CreateRepositoryCommand({ repositoryName: "slipway/new" })).catch((e: unknown) => e)).toMatchObject({ name: "AccessDeniedException" });
    await sdk(ecr).send(new CreateRepositoryCommand({ repositoryName: "slipway/new" }));
    expect(await sdk(ecr).send(new CreateRepositoryCommand({ repositoryName: "slipway/new" })).catch((e: unknown) => e)).toMatchObject({ name: "RepositoryAlreadyExistsException" });
  });

  it("the cleanup function's role lists repositories, the node's may not", async () => {
    await using ecr = await standIn();
    const listed = await sdk(ecr, CLEANUP_KEY).send(new DescribeRepositoriesCommand({}));
    expect(listed.repositories?.map((r) => r.repositoryName)).toEqual(["slipway"]);
    const err = await sdk(ecr, NODE_KEY).send(new DescribeRepositoriesCommand({})).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "AccessDeniedException" });
  });
});
