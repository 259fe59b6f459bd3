import { createHash } from "node:crypto";
import { MEDIA_TYPES, type Descriptor } from "./media.ts";

/** The runtime part of an image config (OCI `config` object). Only set keys are present. */
export interface RuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Shell?: string[];
  OnBuild?: string[] | null;
}

/** An image config document (what `docker load` and registries store as the config blob). */
export interface ImageConfigDocument {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config: RuntimeConfig;
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: unknown[];
}

const RUNTIME_KEYS: (keyof RuntimeConfig)[] = [
  "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Healthcheck", "Volumes", "WorkingDir", "Labels", "StopSignal", "Shell", "OnBuild",
];

/** Keeps only the keys of an inspected config that are set, so configs compare and hash stably. */
export function normaliseRuntimeConfig(raw: Record<string, unknown> | RuntimeConfig | null | undefined): RuntimeConfig {
  const out: Record<string, unknown> = {};
  for (const key of RUNTIME_KEYS) {
    const value = (raw as Record<string, unknown> | null | undefined)?.[key];
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value) && value.length === 0 && key !== "Cmd" && key !== "Entrypoint") continue;
    if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out as RuntimeConfig;
}

/**
 * The config blob's bytes: JSON in the document's own key order. Image ids and stage
 * manifests are digests of these bytes, so this encoding never changes.
 */
export function encodeConfig(config: ImageConfigDocument): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(config));
}

export function parseConfig(body: Uint8Array): ImageConfigDocument {
  return JSON.parse(new TextDecoder().decode(body)) as ImageConfigDocument;
}

/** The image id: the digest of the config blob. */
export function configDigest(config: ImageConfigDocument): string {
  return `sha256:${createHash("sha256").update(encodeConfig(config)).digest("hex")}`;
}

/** A config blob and the descriptor a manifest of either format names it with. */
export function configBlob(config: ImageConfigDocument, oci: boolean): { descriptor: Descriptor; data: Uint8Array } {
  const data = encodeConfig(config);
  const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
  return { descriptor: { mediaType: oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, digest, size: data.length }, data };
}
