import { RegistryError } from "../errors.ts";
import { OciRegistry } from "./oci.ts";
import { withRetry } from "./retry.ts";
import type { BlobSource, CredentialSource, Descriptor, EcrPort, ManifestResult, Registry, RetryPolicy, TransferStats } from "./types.ts";

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` -> account and region. */
export function parseEcrHost(host: string): { registryId: string; region: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i.exec(host);
  return m ? { registryId: m[1], region: m[2].toLowerCase() } : undefined;
}

/** ECR tokens last 12 hours; renew five minutes early so no request carries an expired one. */
const RENEW_BEFORE_MS = 5 * 60_000;

/** Basic credentials from GetAuthorizationToken, cached until 5 minutes before expiry. */
export function ecrTokenCredentials(port: () => Promise<EcrPort>, retry: RetryPolicy, onCall?: () => void): CredentialSource {
  let cached: { username: string; password: string; expiresAt: Date } | undefined;
  return {
    async get() {
      if (!cached || cached.expiresAt.getTime() - RENEW_BEFORE_MS <= Date.now()) {
        const p = await port();
        cached = await withRetry(retry, () => {
          onCall?.();
          return p.getAuthorizationToken();
        });
      }
      return { username: cached.username, password: cached.password };
    },
  };
}

const BATCH = 100; // BatchGetImage and BatchDeleteImage take at most 100 image ids

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * ECR: blobs and manifests through its OCI endpoint (basic auth with the ECR token),
 * tags through the ECR API: PutImage writes a tag without moving data, BatchGetImage
 * checks 100 tags per call, BatchDeleteImage deletes by digest.
 */
export class EcrRegistry implements Registry {
  readonly host: string;
  readonly stats: TransferStats;

  constructor(private readonly oci: OciRegistry, private readonly port: () => Promise<EcrPort>, private readonly retryPolicy: RetryPolicy) {
    this.host = oci.host;
    this.stats = oci.stats;
  }

  private async api<T>(op: (port: EcrPort) => Promise<T>): Promise<T> {
    const port = await this.port();
    return withRetry(this.retryPolicy, () => {
      this.stats.requests++;
      return op(port);
    });
  }

  headManifest(repo: string, reference: string) { return this.oci.headManifest(repo, reference); }
  getManifest(repo: string, reference: string) { return this.oci.getManifest(repo, reference); }
  putManifest(repo: string, reference: string, body: Uint8Array, mediaType: string) { return this.oci.putManifest(repo, reference, body, mediaType); }
  hasBlob(repo: string, digest: string) { return this.oci.hasBlob(repo, digest); }
  getBlob(repo: string, digest: string) { return this.oci.getBlob(repo, digest); }
  getBlobStream(repo: string, digest: string) { return this.oci.getBlobStream(repo, digest); }
  pushBlob(repo: string, digest: string, data: BlobSource, mountFrom?: string) { return this.oci.pushBlob(repo, digest, data, mountFrom); }
  listTags(repo: string) { return this.oci.listTags(repo); }

  async tagManifest(repo: string, tag: string, manifest: ManifestResult): Promise<void> {
    const text = Buffer.from(manifest.body).toString("utf8");
    await this.api((p) => p.putImage({ repository: repo, tag, manifest: text, mediaType: manifest.mediaType, digest: manifest.digest }));
    this.stats.manifestBytesPushed += manifest.body.byteLength;
  }

  async findTags(repo: string, tags: string[]): Promise<Map<string, Descriptor>> {
    const found = new Map<string, Descriptor>();
    for (const chunk of chunks([...new Set(tags)], BATCH)) {
      let images: Awaited<ReturnType<EcrPort["batchGetImage"]>>;
      try {
        images = await this.api((p) => p.batchGetImage({ repository: repo, tags: chunk }));
      } catch (err) {
        // No repository yet means no tags, as a 404 does on OCI registries.
        if (err instanceof RegistryError && err.code === "RepositoryNotFoundException") return found;
        throw err;
      }
      for (const img of images) found.set(img.tag, { mediaType: img.mediaType, digest: img.digest, size: img.size });
    }
    return found;
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    let failures: Awaited<ReturnType<EcrPort["batchDeleteImage"]>>;
    try {
      failures = await this.api((p) => p.batchDeleteImage({ repository: repo, ids: [{ digest }] }));
    } catch (err) {
      if (err instanceof RegistryError && err.code === "RepositoryNotFoundException") return;
      throw err;
    }
    const real = failures.filter((f) => f.code !== "ImageNotFound");
    if (real.length) throw new RegistryError(`ECR BatchDeleteImage ${repo}@${digest}: ${real[0].code}`, undefined, real[0].code);
  }
}
