/**
 * The ECR JSON API subset slipway calls, served as AWS serves it (awsJson1_1: POST /,
 * `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`), so the real
 * @aws-sdk/client-ecr reaches it through its `endpoint` setting. Callers are known by the
 * access key id of their SigV4 Authorization header. Errors: HTTP 400, `__type` = the
 * exception name (what the SDK turns into the error's `name`).
 * Shapes and limits from the API reference:
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html (imageIds: 1-100)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html (imageIds: 1-100)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html (imageIds: 1-100, maxResults: 1-1000)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html (repositoryNames: 1-100, maxResults: 1-1000)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/CommonErrors.html
 * Listing every repository (DescribeRepositories without names) is authorized on
 * `repository/*`, as IAM sees a call that names no repository.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { EcrFault, type EcrModel, type EcrPrincipal, type EcrRepository } from "./ecr-model.ts";

type Json = Record<string, any>;
interface ImageId { imageTag?: string; imageDigest?: string }

export interface Api {
  model: EcrModel;
  upstream: string;
  registryHost: () => string;
}

const TARGET = "AmazonEC2ContainerRegistry_V20150921.";

function limit(name: string, items: unknown[] | undefined, max: number, min = 1): void {
  if (items !== undefined && (items.length < min || items.length > max)) {
    throw new EcrFault(400, "InvalidParameterException", `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max} and greater than or equal to ${min}`);
  }
}

function maxResults(body: Json): number {
  const n = body.maxResults ?? 100;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new EcrFault(400, "InvalidParameterException", "maxResults must be between 1 and 1000");
  return n;
}

const seconds = (d: Date) => d.getTime() / 1000;
const sha256 = (s: string) => `sha256:${createHash("sha256").update(s, "utf8").digest("hex")}`;

function resolve(repo: EcrRepository, id: ImageId): string | undefined {
  const digest = id.imageTag !== undefined ? repo.tags.get(id.imageTag) : id.imageDigest;
  if (!digest || !repo.images.has(digest)) return undefined;
  if (id.imageDigest && id.imageDigest !== digest) return undefined;
  return digest;
}

async function manifestOf(api: Api, repo: string, digest: string): Promise<string> {
  const res = await fetch(`${api.upstream}/v2/${api.model.upstreamName(repo)}/manifests/${digest}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json" } });
  if (!res.ok) throw new EcrFault(500, "ServerException", `upstream ${res.status}`);
  return res.text();
}

async function deleteUpstream(api: Api, repo: string, digest: string): Promise<void> {
  await (await fetch(`${api.upstream}/v2/${api.model.upstreamName(repo)}/manifests/${digest}`, { method: "DELETE" })).body?.cancel();
}

function describeRepository(api: Api, r: EcrRepository): Json {
  const { account } = api.model.opts;
  return { repositoryArn: api.model.arn(r.name), registryId: account, repositoryName: r.name, repositoryUri: `${api.registryHost()}/${r.name}`, createdAt: seconds(r.createdAt), imageTagMutability: r.immutable ? "IMMUTABLE" : "MUTABLE" };
}

type Op = (api: Api, p: EcrPrincipal, body: Json) => Promise<Json>;

/** Authorizes `action` on the named repository, then finds it (or RepositoryNotFoundException). */
function repoFor(api: Api, p: EcrPrincipal, body: Json, action: string, push = false): EcrRepository {
  api.model.authorize(p, action, api.model.arn(body.repositoryName));
  return api.model.repository(p, body.repositoryName, push);
}

const ops: Record<string, Op> = {
  async GetAuthorizationToken(api, p) {
    api.model.authorize(p, "ecr:GetAuthorizationToken", "*");
    const { password, expiresAt } = api.model.issueToken(p);
    return { authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"), expiresAt: seconds(expiresAt), proxyEndpoint: `http://${api.registryHost()}` }] };
  },

  async BatchGetImage(api, p, body) {
    const repo = repoFor(api, p, body, "ecr:BatchGetImage");
    limit("imageIds", body.imageIds ?? [], 100);
    const accepted: string[] | undefined = body.acceptedMediaTypes;
    const images: Json[] = [];
    const failures: Json[] = [];
    for (const id of body.imageIds as ImageId[]) {
      const digest = resolve(repo, id);
      if (!digest) {
        failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
        continue;
      }
      const image = repo.images.get(digest)!;
      if (accepted && !accepted.includes(image.mediaType)) {
        failures.push({ imageId: id, failureCode: "UnsupportedImageType", failureReason: `media type ${image.mediaType} not accepted` });
        continue;
      }
      images.push({ registryId: api.model.opts.account, repositoryName: repo.name, imageId: { imageDigest: digest, ...(id.imageTag !== undefined && { imageTag: id.imageTag }) }, imageManifest: await manifestOf(api, repo.name, digest), imageManifestMediaType: image.mediaType });
    }
    return { images, failures };
  },

  async PutImage(api, p, body) {
    const repo = repoFor(api, p, body, "ecr:PutImage", true);
    const manifest: string = body.imageManifest;
    const digest = sha256(manifest);
    if (body.imageDigest && body.imageDigest !== digest) throw new EcrFault(400, "ImageDigestDoesNotMatchException", `The image digest ${body.imageDigest} does not match the manifest's digest ${digest}`);
    const tag: string | undefined = body.imageTag;
    const held = tag === undefined ? undefined : repo.tags.get(tag);
    if ((tag !== undefined && held === digest) || (tag === undefined && repo.images.has(digest))) {
      throw new EcrFault(400, "ImageAlreadyExistsException", `Image with digest '${digest}'${tag ? ` and tag '${tag}'` : ""} already exists in the repository with name '${repo.name}' in registry with id '${api.model.opts.account}'`);
    }
    if (held && repo.immutable) throw new EcrFault(400, "ImageTagAlreadyExistsException", `The image tag '${tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`);
    const mediaType: string = body.imageManifestMediaType ?? (JSON.parse(manifest) as { mediaType?: string }).mediaType;
    const res = await fetch(`${api.upstream}/v2/${api.model.upstreamName(repo.name)}/manifests/${digest}`, { method: "PUT", headers: { "content-type": mediaType }, body: manifest });
    const text = await res.text();
    if (res.status !== 201) {
      const code = text.includes("MANIFEST_BLOB_UNKNOWN") ? "LayersNotFoundException" : "InvalidParameterException";
      throw new EcrFault(400, code, `The image manifest was refused: ${text.slice(0, 200)}`);
    }
    repo.images.set(digest, repo.images.get(digest) ?? { digest, mediaType, size: Buffer.byteLength(manifest), pushedAt: new Date() });
    if (tag !== undefined) repo.tags.set(tag, digest);
    return { image: { registryId: api.model.opts.account, repositoryName: repo.name, imageId: { imageDigest: digest, ...(tag !== undefined && { imageTag: tag }) }, imageManifest: manifest, imageManifestMediaType: mediaType } };
  },

  async BatchDeleteImage(api, p, body) {
    const repo = repoFor(api, p, body, "ecr:BatchDeleteImage");
    limit("imageIds", body.imageIds ?? [], 100);
    const imageIds: Json[] = [];
    const failures: Json[] = [];
    for (const id of body.imageIds as ImageId[]) {
      const digest = resolve(repo, id);
      if (!digest) {
        failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
        continue;
      }
      // By tag: only that tag goes, and the image with its last tag. By digest: the image and every tag.
      if (id.imageTag !== undefined) repo.tags.delete(id.imageTag);
      else for (const [t, d] of repo.tags) if (d === digest) repo.tags.delete(t);
      if (![...repo.tags.values()].includes(digest)) {
        repo.images.delete(digest);
        await deleteUpstream(api, repo.name, digest);
      }
      imageIds.push({ imageDigest: digest, ...(id.imageTag !== undefined && { imageTag: id.imageTag }) });
    }
    return { imageIds, failures };
  },

  async DescribeImages(api, p, body) {
    const repo = repoFor(api, p, body, "ecr:DescribeImages");
    limit("imageIds", body.imageIds, 100);
    const n = maxResults(body);
    const tagsOf = (digest: string) => [...repo.tags].filter(([, d]) => d === digest).map(([t]) => t);
    let images = [...repo.images.values()];
    if (body.imageIds) {
      const wanted = new Set((body.imageIds as ImageId[]).map((id) => resolve(repo, id)));
      if (wanted.has(undefined)) throw new EcrFault(400, "ImageNotFoundException", "The image requested does not exist in the specified repository.");
      images = images.filter((i) => wanted.has(i.digest));
    }
    const status = body.filter?.tagStatus;
    if (status === "TAGGED") images = images.filter((i) => tagsOf(i.digest).length > 0);
    if (status === "UNTAGGED") images = images.filter((i) => tagsOf(i.digest).length === 0);
    const start = Number(body.nextToken ?? 0);
    const page = images.slice(start, start + n);
    const imageDetails = page.map((i) => ({ registryId: api.model.opts.account, repositoryName: repo.name, imageDigest: i.digest, imageTags: tagsOf(i.digest), imageSizeInBytes: i.size, imagePushedAt: seconds(i.pushedAt), imageManifestMediaType: i.mediaType }));
    return { imageDetails, ...(start + n < images.length && { nextToken: String(start + n) }) };
  },

  async DescribeRepositories(api, p, body) {
    const n = maxResults(body);
    const names: string[] | undefined = body.repositoryNames;
    limit("repositoryNames", names, 100);
    if (names) {
      const repos = names.map((name) => repoFor(api, p, { repositoryName: name }, "ecr:DescribeRepositories"));
      return { repositories: repos.map((r) => describeRepository(api, r)) };
    }
    api.model.authorize(p, "ecr:DescribeRepositories", api.model.arn("*"));
    const all = [...api.model.repositories.values()].sort((a, b) => a.name.localeCompare(b.name));
    const start = Number(body.nextToken ?? 0);
    return { repositories: all.slice(start, start + n).map((r) => describeRepository(api, r)), ...(start + n < all.length && { nextToken: String(start + n) }) };
  },

  async CreateRepository(api, p, body) {
    api.model.authorize(p, "ecr:CreateRepository", api.model.arn(body.repositoryName));
    if (api.model.repositories.has(body.repositoryName)) throw new EcrFault(400, "RepositoryAlreadyExistsException", `The repository with name '${body.repositoryName}' already exists in the registry with id '${api.model.opts.account}'`);
    return { repository: describeRepository(api, api.model.create(body.repositoryName, body.imageTagMutability === "IMMUTABLE")) };
  },
};

function principalOf(api: Api, authorization: string | undefined): EcrPrincipal {
  const key = /Credential=([^/]+)\//.exec(authorization ?? "")?.[1];
  const p = key ? api.model.opts.principals[key] : undefined;
  if (!p) throw new EcrFault(400, "UnrecognizedClientException", "The security token included in the request is invalid.");
  return p;
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Json) : {};
}

export async function handleApi(api: Api, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = String(req.headers["x-amz-target"] ?? "");
  const reply = (status: number, body: Json, type?: string) => {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.1", ...(type && { "x-amzn-errortype": type }) }).end(JSON.stringify(body));
  };
  try {
    const op = target.startsWith(TARGET) ? ops[target.slice(TARGET.length)] : undefined;
    if (!op) throw new EcrFault(400, "UnknownOperationException", `unknown operation ${target}`);
    const body = await readJson(req);
    reply(200, await op(api, principalOf(api, req.headers.authorization), body));
  } catch (err) {
    if (!(err instanceof EcrFault)) throw err;
    reply(400, { __type: err.code, message: err.message }, err.code);
  }
}
