import type { Readable } from "node:stream";
import pLimit from "p-limit";
import { RegistryError } from "../errors.ts";
import { BlobClient } from "./blobs.ts";
import { sha256Digest, verifyDigest } from "./digest.ts";
import { errorFrom, pullScope, pushScope, readBody, RegistryHttp } from "./http.ts";
import { withRetry } from "./retry.ts";
import { MANIFEST_ACCEPT, type BlobSource, type PushBlobOptions, type CredentialSource, type Descriptor, type FoundTag, type ManifestResult, type Registry, type RetryPolicy, type TransferStats } from "./types.ts";

export interface OciOptions {
  credentials?: CredentialSource;
  insecure?: boolean;
  retry: RetryPolicy;
  concurrency: number;
  tagsPageSize: number;
  timeoutMs?: number;
  /** The Authorization header of every request, from a token source (ECR); replaces challenge answering. */
  authorization?: () => Promise<string>;
}

const isDigest = (reference: string) => reference.includes(":");
const mediaTypeOf = (header: string | null) => header?.split(";")[0].trim() ?? "";

/** A registry speaking the OCI distribution API over fetch. Every operation is retried as a whole. */
export class OciRegistry implements Registry {
  readonly stats: TransferStats = { bytesPulled: 0, bytesPushed: 0, manifestBytesPulled: 0, manifestBytesPushed: 0, requests: 0 };
  private readonly http: RegistryHttp;
  private readonly blobs: BlobClient;

  constructor(readonly host: string, private readonly opts: OciOptions) {
    this.http = new RegistryHttp(host, opts, this.stats);
    this.blobs = new BlobClient(this.http, this.stats);
  }

  private retry<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(this.opts.retry, op);
  }

  headManifest(repo: string, reference: string): Promise<Descriptor | undefined> {
    return this.retry(async () => {
      const res = await this.http.send({ method: "HEAD", url: `/v2/${repo}/manifests/${reference}`, scope: pullScope(repo), headers: { accept: MANIFEST_ACCEPT } });
      if (res.status === 404) return undefined;
      if (!res.ok) throw await errorFrom(res, `HEAD manifest ${repo}:${reference}`);
      const digest = res.headers.get("docker-content-digest");
      const size = Number(res.headers.get("content-length"));
      if (digest && Number.isFinite(size)) return { mediaType: mediaTypeOf(res.headers.get("content-type")), digest, size };
      // Some registries omit the digest on HEAD: fall back to GET and hash the body.
      const got = await this.getManifestOnce(repo, reference);
      return got && { mediaType: got.mediaType, digest: got.digest, size: got.body.byteLength };
    });
  }

  getManifest(repo: string, reference: string): Promise<ManifestResult | undefined> {
    return this.retry(() => this.getManifestOnce(repo, reference));
  }

  private async getManifestOnce(repo: string, reference: string): Promise<ManifestResult | undefined> {
    const what = `GET manifest ${repo}:${reference}`;
    const res = await this.http.send({ method: "GET", url: `/v2/${repo}/manifests/${reference}`, scope: pullScope(repo), headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await errorFrom(res, what);
    const body = await readBody(res, what);
    this.stats.manifestBytesPulled += body.byteLength;
    const digest = sha256Digest(body);
    const claimed = isDigest(reference) ? reference : res.headers.get("docker-content-digest");
    if (claimed && claimed.startsWith("sha256:") && claimed !== digest) {
      throw new RegistryError(`${what}: digest mismatch, expected ${claimed}, got ${digest}`, undefined, "DIGEST_INVALID");
    }
    let mediaType = mediaTypeOf(res.headers.get("content-type"));
    if (!mediaType || mediaType === "application/json") mediaType = (JSON.parse(Buffer.from(body).toString("utf8")) as { mediaType?: string }).mediaType ?? mediaType;
    return { digest, mediaType, body };
  }

  putManifest(repo: string, reference: string, body: Uint8Array, mediaType: string): Promise<string> {
    const digest = sha256Digest(body);
    const what = `PUT manifest ${repo}:${reference}`;
    if (isDigest(reference) && reference !== digest) {
      return Promise.reject(new RegistryError(`${what}: body hashes to ${digest}`, undefined, "DIGEST_INVALID"));
    }
    return this.retry(async () => {
      const res = await this.http.send({ method: "PUT", url: `/v2/${repo}/manifests/${reference}`, scope: pushScope(repo), headers: { "content-type": mediaType }, body });
      this.stats.manifestBytesPushed += body.byteLength;
      if (res.status !== 201 && res.status !== 200) throw await errorFrom(res, what);
      await res.body?.cancel();
      return digest;
    });
  }

  async tagManifest(repo: string, tag: string, manifest: ManifestResult): Promise<void> {
    const digest = await this.putManifest(repo, tag, manifest.body, manifest.mediaType);
    if (digest !== manifest.digest) throw new RegistryError(`tag ${repo}:${tag}: manifest body hashes to ${digest}, not ${manifest.digest}`, undefined, "DIGEST_INVALID");
  }

  /** Parallel HEADs, at most `concurrency` in flight. */
  async findTags(repo: string, tags: string[], opts: { manifests?: boolean } = {}): Promise<Map<string, FoundTag>> {
    const found = new Map<string, FoundTag>();
    const limit = pLimit(this.opts.concurrency);
    try {
      await Promise.all([...new Set(tags)].map((tag) => limit(async () => {
        if (opts.manifests) {
          const m = await this.getManifest(repo, tag);
          if (m) found.set(tag, { mediaType: m.mediaType, digest: m.digest, size: m.body.byteLength, manifest: m });
          return;
        }
        const d = await this.headManifest(repo, tag);
        if (d) found.set(tag, d);
      })));
    } finally {
      limit.clearQueue();
    }
    return found;
  }

  hasBlob(repo: string, digest: string): Promise<boolean> {
    return this.retry(() => this.blobs.has(repo, digest));
  }

  getBlob(repo: string, digest: string): Promise<Uint8Array> {
    return this.retry(() => this.blobs.get(repo, digest));
  }

  /** Only opening the stream is retried; a failure mid-stream surfaces to the reader. */
  getBlobStream(repo: string, digest: string): Promise<ReadableStream<Uint8Array>> {
    return this.retry(() => this.blobs.stream(repo, digest));
  }

  readBlob(repo: string, digest: string): Promise<Readable> {
    return this.retry(() => this.blobs.readable(repo, digest));
  }

  pushBlob(repo: string, digest: string, data: BlobSource, mountFrom?: string, opts?: PushBlobOptions): Promise<{ uploaded: boolean }> {
    // Bytes in hand are checked before any request; a lazy source is fetched once, even across retries.
    if (data instanceof Uint8Array) {
      try {
        verifyDigest(data, digest, `blob to push to ${repo}`);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    let fetched: Promise<Uint8Array> | undefined;
    const source = data instanceof Uint8Array ? data : () => (fetched ??= data());
    return this.retry(() => this.blobs.push(repo, digest, source, mountFrom, opts?.unseen));
  }

  pushBlobStream(repo: string, chunks: AsyncIterable<Uint8Array>, digest?: () => string): Promise<{ digest: string; size: number }> {
    return this.blobs.pushStream(repo, chunks, digest);
  }

  async listTags(repo: string): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${repo}/tags/list?n=${this.opts.tagsPageSize}`;
    while (next) {
      const url: string = next;
      const page = await this.retry(async () => {
        const res = await this.http.send({ method: "GET", url, scope: pullScope(repo) });
        if (res.status === 404) return { tags: [], link: null };
        if (!res.ok) throw await errorFrom(res, `list tags ${repo}`);
        const body = JSON.parse(Buffer.from(await readBody(res, `list tags ${repo}`)).toString("utf8")) as { tags?: string[] | null };
        return { tags: body.tags ?? [], link: res.headers.get("link") };
      });
      tags.push(...page.tags);
      next = parseNextLink(page.link);
    }
    return tags;
  }

  deleteManifest(repo: string, digest: string): Promise<void> {
    return this.retry(async () => {
      const res = await this.http.send({ method: "DELETE", url: `/v2/${repo}/manifests/${digest}`, scope: `repository:${repo}:delete` });
      if (res.status === 404) return;
      if (!res.ok) throw await errorFrom(res, `DELETE manifest ${repo}@${digest}`);
      await res.body?.cancel();
    });
  }
}

/** RFC 5988 `Link: </v2/x/tags/list?n=2&last=b>; rel="next"` -> the URL. */
export function parseNextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (m) return m[1];
  }
  return undefined;
}
