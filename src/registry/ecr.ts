import { RegistryError } from "../errors.ts";
import type { EcrTokenSource } from "./ecr-token.ts";
import type { OciRegistry } from "./oci.ts";
import { sha256Digest } from "./digest.ts";
import { withRetry } from "./retry.ts";
import type { BlobSource, Descriptor, FoundTag, PushBlobOptions, EcrPort, ManifestResult, Registry, RetryPolicy, TransferStats } from "./types.ts";

export { parseEcrHost, parseEcrHosts, ecrTargetOf, type EcrHosts, type EcrTarget } from "./ecr-hosts.ts";
export { ecrTokenCredentials, type EcrTokenSource } from "./ecr-token.ts";

const BATCH = 100; // BatchGetImage and BatchDeleteImage take at most 100 image ids

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The IAM actions ECR checks for each OCI call (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html):
 * named in a denial, since a HEAD's 403 carries no message of its own.
 */
const ACTIONS = {
  headManifest: ["ecr:BatchGetImage"],
  getManifest: ["ecr:BatchGetImage"],
  putManifest: ["ecr:PutImage"],
  hasBlob: ["ecr:BatchCheckLayerAvailability"],
  getBlob: ["ecr:GetDownloadUrlForLayer"],
  pushBlob: ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
  listTags: ["ecr:ListImages"],
} as const;

/** The error, naming the repository it was about (the CLI's JSON error reports it) and, when denied, the actions needed. */
function about(err: unknown, repository: string, actions?: readonly string[]): unknown {
  if (!(err instanceof RegistryError) || err.repository !== undefined) return err;
  const hint = err.status === 403 && actions ? ` (ECR allows this with ${actions.join(", ")} on repository ${repository})` : "";
  return new RegistryError(`${err.message}${hint}`, err.status, err.code, { cause: err.cause ?? err, repository });
}

/**
 * ECR refuses an expired token with 403 DENIED, the code it also uses for IAM denials, and a
 * token it never issued with 401. Either way one fresh token is worth one more try.
 */
function tokenRefused(err: unknown): boolean {
  return err instanceof RegistryError && (err.status === 401 || (err.status === 403 && err.code === "DENIED"));
}

/**
 * ECR: blobs and manifests through its OCI endpoint (basic auth with the ECR token),
 * tags through the ECR API: PutImage writes a tag without moving data, BatchGetImage
 * checks 100 tags per call, BatchDeleteImage deletes by digest.
 */
export class EcrRegistry implements Registry {
  readonly host: string;
  readonly stats: TransferStats;

  constructor(private readonly ociClient: OciRegistry, private readonly port: () => Promise<EcrPort>, private readonly retryPolicy: RetryPolicy, private readonly token?: EcrTokenSource) {
    this.host = ociClient.host;
    this.stats = ociClient.stats;
  }

  /** The ECR token as basic credentials, for the Docker engine's pushes and pulls. */
  credential() {
    return this.token?.get(this.host);
  }

  private async api<T>(repository: string, op: (port: EcrPort) => Promise<T>): Promise<T> {
    const port = await this.port();
    try {
      return await withRetry(this.retryPolicy, () => {
        this.stats.requests++;
        return op(port);
      });
    } catch (err) {
      throw about(err, repository);
    }
  }

  /** An OCI call; a refused token is renewed once and the call repeated. */
  private async oci<T>(repository: string, call: keyof typeof ACTIONS, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (!this.token || !tokenRefused(err)) throw about(err, repository, ACTIONS[call]);
      this.token.invalidate();
      try {
        return await op();
      } catch (again) {
        throw about(again, repository, ACTIONS[call]);
      }
    }
  }

  headManifest(repo: string, reference: string) { return this.oci(repo, "headManifest", () => this.ociClient.headManifest(repo, reference)); }
  getManifest(repo: string, reference: string) { return this.oci(repo, "getManifest", () => this.ociClient.getManifest(repo, reference)); }
  putManifest(repo: string, reference: string, body: Uint8Array, mediaType: string) { return this.oci(repo, "putManifest", () => this.ociClient.putManifest(repo, reference, body, mediaType)); }
  hasBlob(repo: string, digest: string) { return this.oci(repo, "hasBlob", () => this.ociClient.hasBlob(repo, digest)); }
  getBlob(repo: string, digest: string) { return this.oci(repo, "getBlob", () => this.ociClient.getBlob(repo, digest)); }
  getBlobStream(repo: string, digest: string) { return this.oci(repo, "getBlob", () => this.ociClient.getBlobStream(repo, digest)); }
  readBlob(repo: string, digest: string) { return this.oci(repo, "getBlob", () => this.ociClient.readBlob(repo, digest)); }
  pushBlob(repo: string, digest: string, data: BlobSource, mountFrom?: string, opts?: PushBlobOptions) { return this.oci(repo, "pushBlob", () => this.ociClient.pushBlob(repo, digest, data, mountFrom, opts)); }
  listTags(repo: string) { return this.oci(repo, "listTags", () => this.ociClient.listTags(repo)); }
  /** Not repeated when the token is refused: the chunks are gone; the caller pushes what it kept. */
  async pushBlobStream(repo: string, chunks: AsyncIterable<Uint8Array>, digest?: () => string) {
    try {
      return await this.ociClient.pushBlobStream(repo, chunks, digest);
    } catch (err) {
      if (this.token && tokenRefused(err)) this.token.invalidate();
      throw about(err, repo, ACTIONS.pushBlob);
    }
  }

  async tagManifest(repo: string, tag: string, manifest: ManifestResult): Promise<void> {
    const text = Buffer.from(manifest.body).toString("utf8");
    await this.api(repo, (p) => p.putImage({ repository: repo, tag, manifest: text, mediaType: manifest.mediaType, digest: manifest.digest }));
    this.stats.manifestBytesPushed += manifest.body.byteLength;
  }

  async findTags(repo: string, tags: string[], opts: { manifests?: boolean } = {}): Promise<Map<string, FoundTag>> {
    const found = new Map<string, FoundTag>();
    for (const chunk of chunks([...new Set(tags)], BATCH)) {
      let images: Awaited<ReturnType<EcrPort["batchGetImage"]>>;
      try {
        images = await this.api(repo, (p) => p.batchGetImage({ repository: repo, tags: chunk }));
      } catch (err) {
        // No repository yet means no tags, as a 404 does on OCI registries.
        if (err instanceof RegistryError && err.code === "RepositoryNotFoundException") return found;
        throw err;
      }
      for (const img of images) {
        const descriptor = { mediaType: img.mediaType, digest: img.digest, size: img.size };
        const body = opts.manifests && img.manifest !== undefined ? Buffer.from(img.manifest, "utf8") : undefined;
        // Only bytes that hash to the digest are the manifest (a reader would check them as a GET's).
        if (body && sha256Digest(body) === img.digest) {
          this.stats.manifestBytesPulled += body.byteLength;
          found.set(img.tag, { ...descriptor, manifest: { digest: img.digest, mediaType: img.mediaType, body } });
        } else found.set(img.tag, descriptor);
      }
    }
    return found;
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    let failures: Awaited<ReturnType<EcrPort["batchDeleteImage"]>>;
    try {
      failures = await this.api(repo, (p) => p.batchDeleteImage({ repository: repo, ids: [{ digest }] }));
    } catch (err) {
      if (err instanceof RegistryError && err.code === "RepositoryNotFoundException") return;
      throw err;
    }
    const real = failures.filter((f) => f.code !== "ImageNotFound");
    if (real.length) throw new RegistryError(`ECR BatchDeleteImage ${repo}@${digest}: ${real[0].code}`, undefined, real[0].code, { repository: repo });
  }
}
