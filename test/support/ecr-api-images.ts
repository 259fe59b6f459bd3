/**
 * The image operations of the ECR stand-in's JSON API (see ecr-api.ts for the protocol):
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html (imageIds: 1-100)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html (imageIds: 1-100)
 *   https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html (imageIds: 1-100, maxResults: 1-1000)
 */
import { createHash } from "node:crypto";
import { EcrFault, type EcrModel, type EcrPrincipal, type EcrRepository } from "./ecr-model.ts";

export type Json = Record<string, any>;
interface ImageId { imageTag?: string; imageDigest?: string }

export interface Api {
  model: EcrModel;
  upstream: string;
  registryHost: () => string;
}

export type Op = (api: Api, p: EcrPrincipal, body: Json) => Promise<Json>;

export function limit(name: string, items: unknown[] | undefined, max: number, min = 1): void {
  if (items !== undefined && (items.length < min || items.length > max)) {
    throw new EcrFault(400, "InvalidParameterException", `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max} and greater than or equal to ${min}`);
  }
}

export function maxResults(body: Json): number {
  const n = body.maxResults ?? 100;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new EcrFault(400, "InvalidParameterException", "maxResults must be between 1 and 1000");
  return n;
}

export const seconds = (d: Date) => d.getTime() / 1000;
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

/** Authorizes `action` on the named repository, then finds it (or RepositoryNotFoundException). */
export function repoFor(api: Api, p: EcrPrincipal, body: Json, action: string, push = false): EcrRepository {
  api.model.authorize(p, action, api.model.arn(body.repositoryName));
  return api.model.repository(p, body.repositoryName, push);
}

export const imageOps: Record<string, Op> = {
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
};
