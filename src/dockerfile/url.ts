/**
 * ADD of a URL, as BuildKit does it: fetched over HTTP(S) only when the image's
 * network allows it, saved as one file (mode 0600, never unpacked unless --unpack),
 * named after the URL's path (or the Content-Disposition filename). The content's
 * sha256 is the stage's input: with --checksum it is the one written, else the
 * content is fetched when planning and hashed.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";

/** A URL source of an ADD: what its stage digest names, and how to get its bytes. */
export interface UrlSource {
  url: string;
  /** `sha256:<hex>` of the content: from --checksum, or of the bytes fetched when planning. */
  digest: string;
  /** Fetched when planning (no --checksum); else fetched when the layer is made. */
  data?: Buffer;
  /** File name under a directory destination (filled in when fetched). */
  name?: string;
}

/** BuildKit's git source forms: refused by name (slipway has no git source for ADD). */
export function isGitSource(source: string): boolean {
  return /^git@|^git:\/\//.test(source) || /^(https?|ssh):\/\/[^#]*\.git(#.*)?$/.test(source) || /^github\.com\//.test(source);
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Thrown when a URL cannot be fetched or does not match its checksum; the caller names the instruction. */
export class FetchError extends Error {}

/** The file name BuildKit gives a URL's content: Content-Disposition's filename, else the last path element. */
export function urlFileName(url: string, disposition: string | null): string {
  const m = disposition ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition) : null;
  if (m) return posix.basename(decodeURIComponent(m[1]));
  const base = posix.basename(new URL(url).pathname);
  return base === "" || base === "." || base === "/" ? "__unnamed__" : decodeURIComponent(base);
}

export function sha256Of(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Fetches a URL source; checks the content against `expected` (`sha256:<hex>`) when given. */
export async function fetchUrl(url: string, expected?: string): Promise<{ data: Buffer; name: string; digest: string }> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (err) {
    // undici says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause.
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause ? [cause.code, cause.message].filter(Boolean).join(" ") : (err as Error).message;
    throw new FetchError(`cannot fetch ${url}: ${why}`);
  }
  if (!res.ok) throw new FetchError(`cannot fetch ${url}: HTTP ${res.status}`);
  const data = Buffer.from(await res.arrayBuffer());
  const digest = sha256Of(data);
  if (expected !== undefined && digest !== expected) throw new FetchError(`${url}: checksum mismatch: expected ${expected}, got ${digest}`);
  return { data, name: urlFileName(res.url || url, res.headers.get("content-disposition")), digest };
}

/** `--checksum` as BuildKit takes it for HTTP: `sha256:<64 hex>` (other algorithms are refused). */
export function checksumOf(text: string): string | undefined {
  return /^sha256:[0-9a-f]{64}$/.test(text) ? text : undefined;
}
