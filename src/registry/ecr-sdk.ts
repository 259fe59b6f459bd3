import type { ECRClient } from "@aws-sdk/client-ecr";
import { RegistryError } from "../errors.ts";
import { awsErrorCode, awsHttpStatus } from "../util/aws-errors.ts";
import { NETWORK_ERROR } from "./retry.ts";
import { MEDIA_TYPES, type EcrPort } from "./types.ts";

export interface SdkEcrPortOptions {
  region: string;
  /** The account id of the registry (the first label of the host). */
  registryId: string;
  /** An existing client (tests, custom credentials); otherwise one is made for `region`. */
  client?: ECRClient;
}

const ACCEPTED = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList];

/**
 * SDK errors become RegistryError with the SDK error `name` as code (ThrottlingException,
 * RepositoryNotFoundException, ...) and the HTTP status when known, so callers and the
 * retry policy classify by code, never by message.
 */
export function toRegistryError(err: unknown, what: string): RegistryError {
  if (err instanceof RegistryError) return err;
  const name = awsErrorCode(err);
  const status = awsHttpStatus(err);
  const code = status === undefined && !name.endsWith("Exception") ? NETWORK_ERROR : name || undefined;
  const message = err instanceof Error ? err.message : String(err);
  return new RegistryError(`ECR ${what}: ${name || "Error"}: ${message}`, status, code, { cause: err });
}

/** The ECR port on @aws-sdk/client-ecr, loaded lazily so CLI start-up does not pay for the SDK. */
export async function createSdkEcrPort(opts: SdkEcrPortOptions): Promise<EcrPort> {
  const sdk = await import("@aws-sdk/client-ecr");
  // Our retry policy (../retry.ts) is the one in charge; the SDK's own retries would multiply it.
  const client = opts.client ?? new sdk.ECRClient({ region: opts.region, maxAttempts: 1 });
  const registryId = opts.registryId;
  const call = async <T>(what: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (err) {
      throw toRegistryError(err, what);
    }
  };
  return {
    async getAuthorizationToken() {
      const out = await call("GetAuthorizationToken", () => client.send(new sdk.GetAuthorizationTokenCommand({ registryIds: [registryId] })));
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken) throw new RegistryError("ECR GetAuthorizationToken: no token in the answer", undefined, "UNAUTHORIZED");
      const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), expiresAt: data.expiresAt ?? new Date(Date.now() + 3600_000) };
    },
    async putImage(input) {
      try {
        await client.send(new sdk.PutImageCommand({
          registryId, repositoryName: input.repository, imageTag: input.tag, imageManifest: input.manifest,
          imageManifestMediaType: input.mediaType, imageDigest: input.digest,
        }));
        return "created";
      } catch (err) {
        // The tag already points at this very manifest: the write we wanted is in place.
        if (awsErrorCode(err) === "ImageAlreadyExistsException") return "exists";
        throw toRegistryError(err, `PutImage ${input.repository}:${input.tag}`);
      }
    },
    async batchGetImage(input) {
      const out = await call(`BatchGetImage ${input.repository}`, () => client.send(new sdk.BatchGetImageCommand({
        registryId, repositoryName: input.repository, imageIds: input.tags.map((imageTag) => ({ imageTag })), acceptedMediaTypes: ACCEPTED,
      })));
      return (out.images ?? []).flatMap((img) => {
        const tag = img.imageId?.imageTag;
        const digest = img.imageId?.imageDigest;
        if (!tag || !digest) return [];
        const size = img.imageManifest ? Buffer.byteLength(img.imageManifest, "utf8") : 0;
        return [{ tag, digest, mediaType: img.imageManifestMediaType ?? MEDIA_TYPES.dockerManifest, size, ...(img.imageManifest !== undefined && { manifest: img.imageManifest }) }];
      });
    },
    async describeRepositories() {
      const names: string[] = [];
      let nextToken: string | undefined;
      do {
        const out = await call("DescribeRepositories", () => client.send(new sdk.DescribeRepositoriesCommand({ registryId, maxResults: 1000, nextToken })));
        for (const r of out.repositories ?? []) if (r.repositoryName) names.push(r.repositoryName);
        nextToken = out.nextToken;
      } while (nextToken);
      return names;
    },
    async batchDeleteImage(input) {
      const out = await call(`BatchDeleteImage ${input.repository}`, () => client.send(new sdk.BatchDeleteImageCommand({
        registryId, repositoryName: input.repository, imageIds: input.ids.map((id) => ({ imageTag: id.tag, imageDigest: id.digest })),
      })));
      return (out.failures ?? []).map((f) => ({ tag: f.imageId?.imageTag, digest: f.imageId?.imageDigest, code: f.failureCode ?? "Unknown" }));
    },
  };
}
