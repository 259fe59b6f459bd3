/**
 * The toolchain as an image in the stages repository: one gzip layer (the directory's
 * canonical tar, so its diff id is the toolchain's digest) and a minimal config, tagged
 * `ansible-toolchain-<recipe id>` (`ansible-toolchain.sh --id`: the Debian packages and the
 * script it is made of), which is what a node that has not built it can compute. The first
 * node to build a recipe publishes it; the tag is never moved, so every node of the
 * repository plans ansible stages with the same toolchain digest. A node fetches it once
 * into its own directory, checked against the digest; nothing of it is ever a stage's layer.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { ANNOTATIONS } from "../build/names.ts";
import { MEDIA_TYPES, type Registry } from "../registry/types.ts";
import { run } from "../util/process.ts";
import { TOOLCHAIN_ANNOTATION, toolchainTag } from "./tag.ts";
import { isToolchain, toolchainScript, ToolchainError, ToolchainGone, type Toolchain, type ToolchainLog, type ToolchainRemote } from "./toolchain.ts";

export { isToolchainTag, TOOLCHAIN_ANNOTATION, toolchainTag } from "./tag.ts";

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const megabytes = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * Pushes the toolchain to `repo` under its recipe unless the tag is there (the first node
 * wins; the tag never moves). Returns the manifest digest of the tag and whether this call wrote it.
 */
export async function publishToolchain(registry: Registry, repo: string, toolchain: Toolchain & { recipe: string }, now = new Date()): Promise<{ manifestDigest: string; pushed: number }> {
  const tag = toolchainTag(toolchain.recipe);
  const known = await registry.headManifest(repo, tag);
  if (known) return { manifestDigest: known.digest, pushed: 0 };
  const tar = await canonicalTarBytes(toolchain.dir);
  if (sha(tar) !== toolchain.digest) throw new ToolchainError(`the toolchain in ${toolchain.dir} changed since its digest was taken (${toolchain.digest}); remove ${toolchain.dir}.digest to take it again`);
  // zlib's thread pool: a build running beside it keeps its event loop.
  const layer = await promisify(gzip)(tar);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [toolchain.digest] } }));
  await registry.pushBlob(repo, sha(layer), layer);
  await registry.pushBlob(repo, sha(config), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha(config), size: config.length },
    layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha(layer), size: layer.length }],
    annotations: { [TOOLCHAIN_ANNOTATION]: toolchain.digest, [ANNOTATIONS.created]: now.toISOString() },
  }));
  const manifestDigest = await registry.putManifest(repo, tag, manifest, MEDIA_TYPES.ociManifest);
  return { manifestDigest, pushed: layer.length + config.length + manifest.length };
}

interface Published {
  /** The toolchain's digest: the config's one diff id. */
  digest: string;
  layer: { digest: string; size: number };
}

/** What `repo` has under the recipe's tag: the digest to plan with and the layer to fetch; undefined when nothing. */
export async function publishedToolchain(registry: Registry, repo: string, recipe: string): Promise<Published | undefined> {
  const tag = toolchainTag(recipe);
  const manifest = await registry.getManifest(repo, tag);
  if (!manifest) return undefined;
  const where = `${repo}:${tag}`;
  let doc: { config?: { digest?: string }; layers?: { digest: string; size: number }[] };
  try {
    doc = JSON.parse(Buffer.from(manifest.body).toString("utf8")) as typeof doc;
  } catch {
    throw new ToolchainError(`${where} is not an ansible toolchain image (its manifest is not JSON)`);
  }
  if (doc.layers?.length !== 1 || !doc.config?.digest) throw new ToolchainError(`${where} is not a one-layer ansible toolchain image`);
  const config = JSON.parse(Buffer.from(await registry.getBlob(repo, doc.config.digest)).toString("utf8")) as { rootfs?: { diff_ids?: string[] } };
  const digest = config.rootfs?.diff_ids?.[0];
  if (config.rootfs?.diff_ids?.length !== 1 || !/^sha256:[0-9a-f]{64}$/.test(digest ?? "")) throw new ToolchainError(`${where} is not a one-layer ansible toolchain image (no diff id)`);
  return { digest: digest as string, layer: doc.layers[0] };
}

/**
 * Fetches the toolchain of `recipe` from `repo` into `dir` (once: an existing `dir` is
 * kept), refusing it unless the layer blob matches its digest and the extracted directory
 * matches `digest`. Returns the bytes read; undefined when the registry does not have it.
 */
export async function fetchToolchain(registry: Registry, repo: string, recipe: string, digest: string, dir: string): Promise<number | undefined> {
  if (isToolchain(dir) && (await readFile(`${dir}.digest`, "utf8").catch(() => "")).trim() === digest) return 0;
  const published = await publishedToolchain(registry, repo, recipe);
  if (!published) return undefined;
  const where = `${repo}:${toolchainTag(recipe)}`;
  if (published.digest !== digest) throw new ToolchainError(`${where} now holds toolchain ${published.digest}, not ${digest} that this build planned with; run the build again`);
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.fetch-${process.pid}-${Date.now()}`;
  await mkdir(tmp);
  const refuse = (why: string) => new ToolchainError(`refused the ansible toolchain from ${where}: ${why}; delete the tag so that a node publishes it again`);
  try {
    // The whole blob first, checked against its digest, so a damaged one never reaches tar.
    const blob = `${tmp}.layer`;
    const hash = createHash("sha256");
    let bytes = 0;
    const count = new Transform({ transform: (chunk: Buffer, _e, done) => (hash.update(chunk), (bytes += chunk.length), done(null, chunk)) });
    try {
      const body = Readable.fromWeb((await registry.getBlobStream(repo, published.layer.digest)) as never);
      await pipeline(body, count, createWriteStream(blob));
    } catch (err) {
      if ((err as { code?: string }).code === "DIGEST_INVALID") throw refuse(`its layer does not match its digest (${(err as Error).message})`);
      throw refuse(`reading its layer ${published.layer.digest} failed after ${bytes} of ${published.layer.size} bytes (${(err as Error).message})`);
    }
    const got = `sha256:${hash.digest("hex")}`;
    if (got !== published.layer.digest) throw refuse(`its layer ${published.layer.digest} reads back as ${got} (digest mismatch)`);
    const untar = await run("tar", ["-xzf", blob, "-C", tmp]);
    await rm(blob, { force: true });
    if (untar.code !== 0) throw refuse(`its layer does not extract (${untar.stderr.trim()})`);
    const files = (await run(toolchainScript(), ["--digest", tmp])).stdout.trim();
    if (files !== digest) throw refuse(`its files have digest ${files}, not ${digest} (the config's diff id)`);
    // Another build on this node may have fetched it meanwhile (and be running it): its
    // directory, complete (renames are atomic), stays, and this copy goes.
    await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true }));
    await writeFile(`${dir}.digest`, digest);
    await writeFile(`${dir}.key`, `${recipe}\n`);
    return bytes;
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(`${tmp}.layer`, { force: true });
  }
}

export interface RegistryToolchainsOptions {
  /** false (`plan --repo`): read the repository, never write to it. */
  publish: boolean;
  log?: ToolchainLog;
}

/**
 * The stages repository as the toolchain's remote (see nodeToolchain): a published
 * toolchain is planned with at once and fetched when an ansible stage first runs.
 */
export function registryToolchains(registry: Registry, repo: string, opts: RegistryToolchainsOptions): ToolchainRemote {
  const log = opts.log ?? (() => undefined);
  return {
    async find(recipe, cacheDir, local) {
      const published = await publishedToolchain(registry, repo, recipe);
      if (!published) return undefined;
      if (local && local.digest === published.digest) return local;
      const dir = join(cacheDir, `sha256-${published.digest.slice(7, 39)}`);
      let fetching: Promise<string> | undefined;
      const ready = () => (fetching ??= (async () => {
        const started = performance.now();
        const bytes = await fetchToolchain(registry, repo, recipe, published.digest, dir);
        if (bytes === undefined) throw new ToolchainGone(`${repo}:${toolchainTag(recipe)} was deleted while this build ran`);
        if (bytes > 0) log(`ansible toolchain ${published.digest.slice(0, 19)} fetched from ${repo} (${megabytes(bytes)}, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
        return dir;
      })());
      return { dir, digest: published.digest, recipe, ready };
    },
    async publish(toolchain) {
      if (!opts.publish) return;
      // Publishing is for the next node: this build has its toolchain and goes on without it.
      try {
        const { pushed } = await publishToolchain(registry, repo, toolchain);
        if (pushed > 0) log(`ansible toolchain ${toolchain.digest.slice(0, 19)} published to ${repo}:${toolchainTag(toolchain.recipe)} (${megabytes(pushed)})`);
      } catch (err) {
        log(`slipway: warning: publishing the ansible toolchain to ${repo}:${toolchainTag(toolchain.recipe)} failed (${(err as Error).message}); nodes without it build their own`);
      }
    },
  };
}

function canonicalTarBytes(dir: string): Promise<Buffer> {
  // The same tar as `ansible-toolchain.sh --digest`, so the layer's diff id is the toolchain's digest.
  return new Promise((resolve, reject) => {
    const tar = spawn("sh", ["-c", `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf - .`, "sh", dir], { stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    tar.stdout.on("data", (b: Buffer) => chunks.push(b));
    tar.on("error", reject);
    tar.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new ToolchainError(`tar of ${dir} failed`))));
  });
}
