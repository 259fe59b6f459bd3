/**
 * The registry (OCI distribution) front of the ECR stand-in. Each request is mapped to the
 * IAM action ECR checks for it (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html,
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-pull-iam.html), authorized
 * against the caller's policy, checked for the repository's existence (NAME_UNKNOWN), then
 * served from the CNCF registry underneath. Tags are the model's (see ecr-model.ts): the
 * upstream registry holds manifests by digest only.
 * Errors use the distribution error body `{"errors":[{code,message}]}` with ECR's codes:
 * 401 UNAUTHORIZED, 403 DENIED (IAM, expired token), 404 NAME_UNKNOWN / MANIFEST_UNKNOWN,
 * 400 TAG_INVALID for an immutable tag (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
 * Mounts (`POST ...?mount=&from=`) are honoured only with BLOB_MOUNTING on, and need
 * ecr:GetDownloadUrlForLayer on the source (https://docs.aws.amazon.com/AmazonECR/latest/userguide/blob-mounting.html);
 * otherwise the POST opens an ordinary upload session (202), as the OCI spec allows.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { EcrFault, REGISTRY_CODE, type EcrModel, type EcrPrincipal, type EcrRepository } from "./ecr-model.ts";

const PASS_HEADERS = ["content-type", "content-length", "docker-content-digest", "docker-upload-uuid", "range", "link", "docker-distribution-api-version"];

export interface Front {
  model: EcrModel;
  upstream: string;
  /** This server's own origin, for Location headers. */
  origin: () => string;
  /**
   * Where a layer download is sent: ECR answers a blob GET with a 307 to a pre-signed
   * S3 URL (another origin), as GetDownloadUrlForLayer does; see ./ecr-layer-bucket.ts.
   */
  layerUrl?: (upstreamPath: string) => string;
}

interface Route {
  repo: string;
  kind: "manifest" | "blob" | "upload" | "tags";
  rest: string;
}

function route(path: string): Route | undefined {
  const m = /^\/v2\/(.+?)\/(manifests|blobs\/uploads|blobs|tags)(?:\/(.*))?$/.exec(path);
  if (!m) return undefined;
  const kind = m[2] === "manifests" ? "manifest" : m[2] === "blobs/uploads" ? "upload" : m[2] === "blobs" ? "blob" : "tags";
  return { repo: m[1], kind, rest: m[3] ?? "" };
}

/** The IAM action ECR checks for a registry API request. */
function actionOf(method: string, r: Route): string {
  if (r.kind === "tags") return "ecr:ListImages";
  if (r.kind === "manifest") return method === "PUT" ? "ecr:PutImage" : method === "DELETE" ? "ecr:BatchDeleteImage" : "ecr:BatchGetImage";
  if (r.kind === "blob") return method === "HEAD" ? "ecr:BatchCheckLayerAvailability" : "ecr:GetDownloadUrlForLayer";
  if (method === "POST") return "ecr:InitiateLayerUpload";
  return method === "PUT" ? "ecr:CompleteLayerUpload" : "ecr:UploadLayerPart";
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function fail(res: ServerResponse, err: EcrFault, origin: string): void {
  const code = REGISTRY_CODE[err.code] ?? err.code;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (err.status === 401) headers["www-authenticate"] = `Basic realm="${origin}/",service="ecr.amazonaws.com"`;
  res.writeHead(err.status, headers).end(JSON.stringify({ errors: [{ code, message: err.message }] }));
}

async function relay(front: Front, res: ServerResponse, up: Response, method: string): Promise<void> {
  const headers: Record<string, string> = {};
  for (const h of PASS_HEADERS) {
    const v = up.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const location = up.headers.get("location");
  if (location) headers.location = location.replace(/^https?:\/\/[^/]+/, front.origin()).replace(`/v2/${front.model.ns}/`, "/v2/");
  res.writeHead(up.status, headers);
  res.end(method === "HEAD" ? undefined : Buffer.from(await up.arrayBuffer()));
}

function upstream(front: Front, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Response> {
  const hasBody = method === "POST" || method === "PUT" || method === "PATCH";
  return fetch(`${front.upstream}${path}`, { method, headers, body: hasBody ? new Uint8Array(body ?? Buffer.alloc(0)) : undefined });
}

function forwardHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of ["content-type", "accept", "range"]) if (typeof req.headers[h] === "string") out[h] = req.headers[h] as string;
  return out;
}

async function manifest(front: Front, req: IncomingMessage, res: ServerResponse, repo: EcrRepository, ref: string, body: Buffer): Promise<void> {
  const method = req.method!;
  const byDigest = ref.startsWith("sha256:");
  if (method === "PUT") {
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const held = byDigest ? undefined : repo.tags.get(ref);
    if (repo.immutable && held && held !== digest) {
      throw new EcrFault(400, "TAG_INVALID", `The image tag '${ref}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`);
    }
    const up = await upstream(front, "PUT", `/v2/${front.model.upstreamName(repo.name)}/manifests/${digest}`, forwardHeaders(req), body);
    if (up.status === 201) {
      const mediaType = (req.headers["content-type"] ?? "").split(";")[0];
      repo.images.set(digest, repo.images.get(digest) ?? { digest, mediaType, size: body.byteLength, pushedAt: new Date() });
      if (!byDigest) repo.tags.set(ref, digest);
    }
    return relay(front, res, up, method);
  }
  const digest = byDigest ? ref : repo.tags.get(ref);
  if (!digest || !repo.images.has(digest)) throw new EcrFault(404, "MANIFEST_UNKNOWN", `Requested image not found`);
  if (method === "DELETE") {
    repo.images.delete(digest);
    for (const [t, d] of repo.tags) if (d === digest) repo.tags.delete(t);
  }
  return relay(front, res, await upstream(front, method, `/v2/${front.model.upstreamName(repo.name)}/manifests/${digest}`, forwardHeaders(req)), method);
}

function tags(res: ServerResponse, repo: EcrRepository, query: URLSearchParams): void {
  const all = [...repo.tags.keys()].sort();
  const n = Math.min(Number(query.get("n") ?? 1000) || 1000, 1000);
  const last = query.get("last");
  const from = last ? all.findIndex((t) => t > last) : 0;
  const page = from < 0 ? [] : all.slice(from, from + n);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (from >= 0 && from + n < all.length) headers.link = `</v2/${repo.name}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1])}>; rel="next"`;
  res.writeHead(200, headers).end(JSON.stringify({ name: repo.name, tags: page }));
}

/** A mount is passed on only when the account allows it and the caller may read the source. */
function mountQuery(front: Front, principal: EcrPrincipal, query: URLSearchParams): string {
  const from = query.get("from");
  if (!query.has("mount") || !from) return "";
  const { model } = front;
  if (!model.blobMounting || !model.repositories.has(from)) return "";
  try {
    model.authorize(principal, "ecr:GetDownloadUrlForLayer", model.arn(from));
  } catch {
    return "";
  }
  return `?mount=${encodeURIComponent(query.get("mount")!)}&from=${encodeURIComponent(model.upstreamName(from))}`;
}

async function serve(front: Front, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { model } = front;
  const principal = model.principalOfToken(req.headers.authorization);
  if (!principal) throw new EcrFault(401, "UNAUTHORIZED", "Not Authorized");
  if (url.pathname === "/v2/" || url.pathname === "/v2") {
    res.writeHead(200, { "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" }).end("{}");
    return;
  }
  const r = route(url.pathname);
  if (!r) throw new EcrFault(404, "NOT_FOUND", "unsupported registry API path");
  const method = req.method ?? "GET";
  model.authorize(principal, actionOf(method, r), model.arn(r.repo));
  const body = await readAll(req);
  const push = (r.kind === "upload" && method === "POST") || (r.kind === "manifest" && method === "PUT");
  const repo = model.repository(principal, r.repo, push);
  if (r.kind === "manifest") return manifest(front, req, res, repo, r.rest, body);
  if (r.kind === "tags") return tags(res, repo, url.searchParams);
  let path = `/v2/${model.ns}/${url.pathname.slice("/v2/".length)}`;
  if (r.kind === "blob" && method === "GET" && front.layerUrl) {
    res.writeHead(307, { location: front.layerUrl(path), "content-length": "0" }).end();
    return;
  }
  if (r.kind === "upload" && method === "POST") path += mountQuery(front, principal, url.searchParams);
  else path += url.search;
  return relay(front, res, await upstream(front, method, path, forwardHeaders(req), body), method);
}

/** Handles one registry API request; every fault becomes ECR's error answer. */
export async function handleRegistry(front: Front, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://stand-in");
  try {
    await serve(front, req, res, url);
  } catch (err) {
    if (err instanceof EcrFault) return fail(res, err, front.origin());
    throw err;
  }
}
