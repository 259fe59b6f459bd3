import { randomBytes } from "node:crypto";
import { sha256Digest } from "../../../src/registry/digest.ts";
import { MEDIA_TYPES, type Descriptor } from "../../../src/registry/types.ts";

export interface Blob {
  digest: string;
  data: Uint8Array;
}

export function randomBlob(size = 512): Blob {
  const data = new Uint8Array(randomBytes(size));
  return { digest: sha256Digest(data), data };
}

export function configBlob(): Blob {
  const data = new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, salt: Math.random() }));
  return { digest: sha256Digest(data), data };
}

/** A schema-2 manifest (Docker or OCI flavour) over a config and layers. */
export function manifest(kind: "docker" | "oci", config: Blob, layers: Blob[]): { body: Uint8Array; mediaType: string; digest: string } {
  const docker = kind === "docker";
  const mediaType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
  const desc = (b: Blob, t: string): Descriptor => ({ mediaType: t, digest: b.digest, size: b.data.byteLength });
  const body = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: desc(config, docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig),
    layers: layers.map((l) => desc(l, docker ? MEDIA_TYPES.dockerLayer : MEDIA_TYPES.ociLayerGzip)),
  }));
  return { body, mediaType, digest: sha256Digest(body) };
}

/** Retry policy for tests: no real waiting, delays recorded. */
export function fastRetry(attempts = 5): { attempts: number; baseDelayMs: number; maxDelayMs: number; sleep: (ms: number) => Promise<void>; random: () => number; delays: number[] } {
  const delays: number[] = [];
  return { attempts, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5, delays, sleep: async (ms) => void delays.push(ms) };
}

/** Drains a web stream (the DOM typings lack async iteration). */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return Buffer.concat(chunks);
}
