import { createHash } from "node:crypto";
import { RegistryError } from "../errors.ts";

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Throws RegistryError DIGEST_INVALID unless `data` hashes to `expected` (sha256 only, like every registry we target). */
export function verifyDigest(data: Uint8Array, expected: string, what: string): void {
  if (!expected.startsWith("sha256:")) throw new RegistryError(`${what}: unsupported digest algorithm in ${expected}`, undefined, "DIGEST_INVALID");
  const actual = sha256Digest(data);
  if (actual !== expected) throw new RegistryError(`${what}: digest mismatch, expected ${expected}, got ${actual}`, undefined, "DIGEST_INVALID");
}
