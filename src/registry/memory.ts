import { Readable } from "node:stream";
import { RegistryError } from "../errors.ts";
import { sha256Digest, verifyDigest } from "./digest.ts";
import { manifestReferences } from "./manifest.ts";
import type { BlobSource, Descriptor, FoundTag, PushBlobOptions, ManifestResult, Registry, TransferStats } from "./types.ts";
import { countBlobBytes } from "./tally.ts";

interface Repo {
  blobs: Map<string, Uint8Array>;
  manifests: Map<string, { body: Uint8Array; mediaType: string }>;
  tags: Map<string, string>;
}

/**
 * An in-memory Registry that behaves like a distribution registry (refuses
 * manifests whose blobs are missing, deletes tags with their manifest, counts
 * bytes the same way). For unit tests of code built on the port; it passes the
 * same contract suite as the real client.
 */
export class MemoryRegistry implements Registry {
  readonly stats: TransferStats = { bytesPulled: 0, bytesPushed: 0, manifestBytesPulled: 0, manifestBytesPushed: 0, requests: 0 };
  private readonly repos = new Map<string, Repo>();

  constructor(readonly host = "memory.invalid") {}

  private repo(name: string): Repo {
    let r = this.repos.get(name);
    if (!r) this.repos.set(name, (r = { blobs: new Map(), manifests: new Map(), tags: new Map() }));
    return r;
  }

  private resolve(repo: string, reference: string): { digest: string; body: Uint8Array; mediaType: string } | undefined {
    const r = this.repos.get(repo);
    const digest = reference.includes(":") ? reference : r?.tags.get(reference);
    const m = digest ? r?.manifests.get(digest) : undefined;
    return m && digest ? { digest, ...m } : undefined;
  }

  async headManifest(repo: string, reference: string): Promise<Descriptor | undefined> {
    this.stats.requests++;
    const m = this.resolve(repo, reference);
    return m && { mediaType: m.mediaType, digest: m.digest, size: m.body.byteLength };
  }

  async getManifest(repo: string, reference: string): Promise<ManifestResult | undefined> {
    this.stats.requests++;
    const m = this.resolve(repo, reference);
    if (!m) return undefined;
    this.stats.manifestBytesPulled += m.body.byteLength;
    return { digest: m.digest, mediaType: m.mediaType, body: m.body.slice() };
  }

  async putManifest(repo: string, reference: string, body: Uint8Array, mediaType: string): Promise<string> {
    const digest = sha256Digest(body);
    if (reference.includes(":") && reference !== digest) throw new RegistryError(`PUT manifest ${repo}: body hashes to ${digest}`, undefined, "DIGEST_INVALID");
    this.stats.requests++;
    this.stats.manifestBytesPushed += body.byteLength;
    const r = this.repo(repo);
    const refs = manifestReferences(body);
    const missing = [...refs.blobs.filter((d) => !r.blobs.has(d)), ...refs.manifests.filter((d) => !r.manifests.has(d))];
    if (missing.length) throw new RegistryError(`PUT manifest ${repo}:${reference}: 400 MANIFEST_BLOB_UNKNOWN: ${missing[0]}`, 400, "MANIFEST_BLOB_UNKNOWN");
    r.manifests.set(digest, { body: body.slice(), mediaType });
    if (!reference.includes(":")) r.tags.set(reference, digest);
    return digest;
  }

  async tagManifest(repo: string, tag: string, manifest: ManifestResult): Promise<void> {
    const digest = await this.putManifest(repo, tag, manifest.body, manifest.mediaType);
    if (digest !== manifest.digest) throw new RegistryError(`tag ${repo}:${tag}: body hashes to ${digest}`, undefined, "DIGEST_INVALID");
  }

  async findTags(repo: string, tags: string[], opts: { manifests?: boolean } = {}): Promise<Map<string, FoundTag>> {
    const found = new Map<string, FoundTag>();
    for (const tag of new Set(tags)) {
      if (opts.manifests) {
        const m = await this.getManifest(repo, tag);
        if (m) found.set(tag, { mediaType: m.mediaType, digest: m.digest, size: m.body.byteLength, manifest: m });
        continue;
      }
      const d = await this.headManifest(repo, tag);
      if (d) found.set(tag, d);
    }
    return found;
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    this.stats.requests++;
    return this.repos.get(repo)?.blobs.has(digest) ?? false;
  }

  async getBlob(repo: string, digest: string): Promise<Uint8Array> {
    this.stats.requests++;
    const blob = this.repos.get(repo)?.blobs.get(digest);
    if (!blob) throw new RegistryError(`GET blob ${repo}@${digest}: 404 BLOB_UNKNOWN`, 404, "BLOB_UNKNOWN");
    countBlobBytes(this.stats, "pulled", blob.byteLength);
    return blob.slice();
  }

  async getBlobStream(repo: string, digest: string): Promise<ReadableStream<Uint8Array>> {
    const blob = await this.getBlob(repo, digest);
    return new ReadableStream({ start: (c) => { c.enqueue(blob); c.close(); } });
  }

  async readBlob(repo: string, digest: string): Promise<Readable> {
    return Readable.from([Buffer.from(await this.getBlob(repo, digest))]);
  }

  async pushBlob(repo: string, digest: string, data: BlobSource, mountFrom?: string, opts?: PushBlobOptions): Promise<{ uploaded: boolean }> {
    if (data instanceof Uint8Array) verifyDigest(data, digest, `blob to push to ${repo}`);
    // Unseen: no lookup first (one request fewer), so present bytes are sent again.
    if (!(opts?.unseen && data instanceof Uint8Array && !mountFrom) && (await this.hasBlob(repo, digest))) return { uploaded: false };
    const mounted = mountFrom ? this.repos.get(mountFrom)?.blobs.get(digest) : undefined;
    this.stats.requests += 2;
    if (mounted) {
      this.repo(repo).blobs.set(digest, mounted);
      return { uploaded: false };
    }
    const bytes = data instanceof Uint8Array ? data : await data();
    verifyDigest(bytes, digest, `blob to push to ${repo}`);
    this.repo(repo).blobs.set(digest, bytes.slice());
    countBlobBytes(this.stats, "pushed", bytes.byteLength);
    return { uploaded: true };
  }

  async pushBlobStream(repo: string, chunks: AsyncIterable<Uint8Array>, claimed?: () => string): Promise<{ digest: string; size: number }> {
    this.stats.requests += 3;
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) {
      parts.push(chunk.slice());
      countBlobBytes(this.stats, "pushed", chunk.byteLength);
    }
    const bytes = Buffer.concat(parts);
    const digest = sha256Digest(bytes);
    // As a registry does on the closing PUT: the digest claimed must be the bytes'.
    if (claimed) verifyDigest(bytes, claimed(), `blob to push to ${repo}`);
    this.repo(repo).blobs.set(digest, new Uint8Array(bytes));
    return { digest, size: bytes.byteLength };
  }

  async listTags(repo: string): Promise<string[]> {
    this.stats.requests++;
    return [...(this.repos.get(repo)?.tags.keys() ?? [])].sort();
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    this.stats.requests++;
    const r = this.repos.get(repo);
    if (!r?.manifests.delete(digest)) return;
    for (const [tag, d] of r.tags) if (d === digest) r.tags.delete(tag);
  }
}
