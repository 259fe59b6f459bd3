/**
 * The toolchain as an image in the registry: one gzip layer (the directory's canonical
 * tar, so its diff id is the toolchain's digest) and a minimal config, tagged by the
 * digest (content-addressed: a tag never moves). A node without the toolchain fetches
 * it once and extracts it to a host directory; nothing of it is ever a stage's layer.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, gzipSync } from "node:zlib";
import { BuildError } from "../errors.ts";
import { MEDIA_TYPES, type Registry } from "../registry/types.ts";
import { run } from "../util/process.ts";
import { toolchainScript, type Toolchain } from "./toolchain.ts";

/** `ansible-toolchain-<first 32 hex of the digest>`: the tag of a toolchain in a repository. */
export function toolchainTag(digest: string): string {
  return `ansible-toolchain-${digest.replace(/^sha256:/, "").slice(0, 32)}`;
}

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Pushes the toolchain to `repo` unless its tag is there. Returns the manifest digest. */
export async function publishToolchain(registry: Registry, repo: string, toolchain: Toolchain): Promise<string> {
  const tag = toolchainTag(toolchain.digest);
  const known = await registry.headManifest(repo, tag);
  if (known) return known.digest;
  const tar = await canonicalTarBytes(toolchain.dir);
  if (sha(tar) !== toolchain.digest) throw new BuildError("", "ansible", `the toolchain in ${toolchain.dir} changed since its digest was taken`);
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [toolchain.digest] } }));
  await registry.pushBlob(repo, sha(layer), layer);
  await registry.pushBlob(repo, sha(config), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha(config), size: config.length },
    layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha(layer), size: layer.length }],
  }));
  return registry.putManifest(repo, tag, manifest, MEDIA_TYPES.ociManifest);
}

/**
 * Fetches the toolchain `digest` from `repo` into `dir` (once: an existing `dir` is
 * kept), checking the extracted directory against the digest. Undefined when the
 * registry does not have it.
 */
export async function fetchToolchain(registry: Registry, repo: string, digest: string, dir: string): Promise<Toolchain | undefined> {
  if (existsSync(join(dir, "bin", "ansible-playbook"))) return { dir, digest };
  const manifest = await registry.getManifest(repo, toolchainTag(digest));
  if (!manifest) return undefined;
  const doc = JSON.parse(Buffer.from(manifest.body).toString("utf8")) as { layers?: { digest: string }[] };
  if (doc.layers?.length !== 1) throw new BuildError("", "ansible", `${repo}:${toolchainTag(digest)} is not a one-layer toolchain image`);
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.fetch-${process.pid}-${Date.now()}`;
  await mkdir(tmp);
  try {
    const tar = spawn("tar", ["-x", "-C", tmp, "-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    const exited = new Promise<number>((resolve) => tar.on("close", (code) => resolve(code ?? 1)));
    const body = Readable.fromWeb((await registry.getBlobStream(repo, doc.layers[0].digest)) as never);
    await pipeline(body, createGunzip(), tar.stdin as Writable);
    if ((await exited) !== 0) throw new BuildError("", "ansible", `extracting the ansible toolchain from ${repo} failed`);
    const got = await run(toolchainScript(), ["--digest", tmp]);
    if (got.stdout.trim() !== digest) throw new BuildError("", "ansible", `the ansible toolchain from ${repo} has digest ${got.stdout.trim()}, not ${digest}`);
    await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true }));
    await writeFile(`${dir}.digest`, digest);
    return { dir, digest };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function canonicalTarBytes(dir: string): Promise<Buffer> {
  // The same tar as `ansible-toolchain.sh --digest`, so the layer's diff id is the toolchain's digest.
  return new Promise((resolve, reject) => {
    const tar = spawn("sh", ["-c", `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf - .`, "sh", dir], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    tar.stdout.on("data", (b: Buffer) => chunks.push(b));
    tar.on("error", reject);
    tar.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new BuildError("", "ansible", `tar of ${dir} failed`))));
  });
}
