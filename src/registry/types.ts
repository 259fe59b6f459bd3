import type { Readable } from "node:stream";
import { MEDIA_TYPES, type Descriptor } from "../image/media.ts";
import type { RetryPolicy } from "../util/retry.ts";

/**
 * The registry port: a small OCI distribution client shape that the stage cache,
 * push commands and cleanup code against. Two implementations sit behind it
 * (plain OCI over fetch, and ECR = OCI for blobs + the ECR API for tags), both
 * made by `createRegistry` in ./index.ts. No vendor types appear here.
 */

export { MEDIA_TYPES, type Descriptor } from "../image/media.ts";

/** What GET/HEAD manifest requests accept: both manifest formats and both index formats. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
].join(", ");

/** `registry/repository[:tag][@digest]`; see parseImageRef/formatImageRef in ./ref.ts. */
export interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export interface ManifestResult {
  digest: string;
  mediaType: string;
  body: Uint8Array;
}

/** A tag findTags found; `manifest` when it was asked for (and, from ECR, when its bytes hash to the digest). */
export interface FoundTag extends Descriptor {
  manifest?: ManifestResult;
}

/**
 * Cumulative transfer counters, for honest reporting.
 * bytesPulled/bytesPushed count blob bodies (layers AND image configs) that
 * actually crossed the wire: a skipped (already present) or mounted upload adds 0.
 * Manifest bodies are counted separately in manifestBytesPulled/Pushed.
 * `requests` counts every HTTP request sent (including retries and auth round trips)
 * plus every ECR API call.
 */
export interface TransferStats {
  bytesPulled: number;
  bytesPushed: number;
  manifestBytesPulled: number;
  manifestBytesPushed: number;
  requests: number;
}

/** Blob bytes, or a way to get them when (and only if) they must be uploaded. */
export type BlobSource = Uint8Array | (() => Promise<Uint8Array>);

export interface PushBlobOptions {
  /** See Registry.pushBlob. */
  unseen?: boolean;
}

export interface Registry {
  /** host[:port] as given, e.g. "127.0.0.1:5000" or "123.dkr.ecr.eu-west-1.amazonaws.com". */
  readonly host: string;
  readonly stats: TransferStats;
  /** undefined on 404. */
  headManifest(repo: string, reference: string): Promise<Descriptor | undefined>;
  /** undefined on 404. The digest is Docker-Content-Digest, checked against the body's sha256 when the reference is a digest. */
  getManifest(repo: string, reference: string): Promise<ManifestResult | undefined>;
  /** Returns the manifest digest (sha256 of body). */
  putManifest(repo: string, reference: string, body: Uint8Array, mediaType: string): Promise<string>;
  /** Write tag -> existing manifest without moving blobs (OCI: PUT of the bytes the caller has; ECR: PutImage, already-exists = success). */
  tagManifest(repo: string, tag: string, manifest: ManifestResult): Promise<void>;
  /**
   * Look up many tags at once. Map tag -> descriptor for the tags that exist; with
   * `manifests`, each with its manifest too (OCI: a GET instead of a HEAD, the same round
   * trip; ECR: BatchGetImage returns them anyway), so a caller that reads some of them
   * next saves a round trip.
   */
  findTags(repo: string, tags: string[], opts?: { manifests?: boolean }): Promise<Map<string, FoundTag>>;
  hasBlob(repo: string, digest: string): Promise<boolean>;
  /** Whole blob in memory, digest verified (RegistryError code DIGEST_INVALID on mismatch). */
  getBlob(repo: string, digest: string): Promise<Uint8Array>;
  /** Streaming blob; the stream errors with RegistryError DIGEST_INVALID at its end on mismatch. */
  getBlobStream(repo: string, digest: string): Promise<ReadableStream<Uint8Array>>;
  /** The same as a Node stream, for a reader that pipes it on (a third of the cost of a web stream for a big blob). */
  readBlob(repo: string, digest: string): Promise<Readable>;
  /**
   * Upload a blob unless present; tries a cross-repo mount from `mountFrom` first.
   * `data` may be a function, called only when the bytes must really be sent (at
   * most once), so a copy between repositories downloads nothing when the mount works.
   * `uploaded` is true only when the bytes were sent. `opts.unseen`: the blob (bytes in
   * hand) was just made for a new manifest, its config: it is uploaded without asking
   * first whether the registry has it (almost never), one request fewer; should the
   * registry have it, the same bytes are sent again, which changes nothing.
   */
  pushBlob(repo: string, digest: string, data: BlobSource, mountFrom?: string, opts?: PushBlobOptions): Promise<{ uploaded: boolean }>;
  /**
   * Uploads a blob while it is still being made (a layer as it is compressed): the
   * chunks are sent as they come, in one streamed upload, and the digest, computed on
   * the way, closes it. One attempt, never retried (the chunks cannot be read twice):
   * on failure the caller pushes the bytes it kept with pushBlob. `digest`: the caller
   * hashes the chunks already and answers their digest once they have ended (the registry
   * checks it, as always); then they are not hashed twice.
   */
  pushBlobStream(repo: string, chunks: AsyncIterable<Uint8Array>, digest?: () => string): Promise<{ digest: string; size: number }>;
  /** All tags, following Link pagination. [] when the repository does not exist. */
  listTags(repo: string): Promise<string[]>;
  /** Delete a manifest by digest (removes every tag pointing at it). 404 is not an error. */
  deleteManifest(repo: string, digest: string): Promise<void>;
}

/** Basic credentials, or a Docker `identitytoken` (an OAuth2 refresh token for the bearer flow). */
export type Credential = { username: string; password: string } | { identityToken: string };

/** Where credentials for a registry host come from (docker config.json, ECR token, a fixed value). */
export interface CredentialSource {
  get(host: string): Promise<Credential | undefined>;
}

export type { RetryPolicy };

/** The few ECR API calls slipway needs, free of SDK types. Implemented on @aws-sdk/client-ecr in ./ecr-sdk.ts. */
export interface EcrPort {
  /** Decoded authorization token for the registry. */
  getAuthorizationToken(): Promise<{ username: string; password: string; expiresAt: Date }>;
  /** "exists" when ECR answers ImageAlreadyExistsException (tag already points at this manifest). */
  putImage(input: { repository: string; tag: string; manifest: string; mediaType: string; digest?: string }): Promise<"created" | "exists">;
  /** At most 100 tags per call (the caller chunks). */
  /** `manifest`: the image manifest's text, as BatchGetImage returns it. */
  batchGetImage(input: { repository: string; tags: string[] }): Promise<Array<{ tag: string; digest: string; mediaType: string; size: number; manifest?: string }>>;
  /** At most 100 ids per call (the caller chunks). Returns the ids that failed with their reason code. */
  batchDeleteImage(input: { repository: string; ids: Array<{ tag?: string; digest?: string }> }): Promise<Array<{ tag?: string; digest?: string; code: string }>>;
  /** Names of every repository in the registry (DescribeRepositories, all pages). */
  describeRepositories?(): Promise<string[]>;
}

export interface CreateRegistryOptions {
  host: string;
  credentials?: CredentialSource;
  /** Use plain HTTP even though the host is not loopback. */
  insecure?: boolean;
  /** For ECR hosts (`<acct>.dkr.ecr.<region>.amazonaws.com`); defaults to the @aws-sdk/client-ecr port, imported lazily. */
  ecr?: EcrPort;
  /** Hosts to treat as ECR registries although their name is not ECR's (SLIPWAY_ECR_HOSTS, parsed at the edge). */
  ecrHosts?: ReadonlyMap<string, { registryId: string; region: string }>;
  retry?: RetryPolicy;
  /** Parallel HEADs in findTags on OCI registries. Default 8. */
  concurrency?: number;
  /** Page size (`n=`) for tag listing; registries may cap it lower and paginate anyway. Default 1000. */
  tagsPageSize?: number;
  /** How long to wait for a response's headers before treating it as a connection failure (retried). Default 60 s. */
  timeoutMs?: number;
}
