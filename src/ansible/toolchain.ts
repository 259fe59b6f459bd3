/**
 * slipway's Ansible toolchain on the node: a directory built by
 * scripts/ansible-toolchain.sh from the host's Debian packages, kept under its recipe id
 * (`--id`: those packages' versions and the script, so an upgrade builds a new one), or
 * fetched from the stages repository (src/ansible/publish.ts), and its digest: the
 * sha256 of its canonical tar, the diff id of the one layer it is published as. The
 * digest enters every ansible stage's digest. Build containers get the directory as
 * a read-only bind at TOOLCHAIN_MOUNT, never as part of a layer.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildError } from "../errors.ts";
import { run } from "../util/process.ts";

/**
 * A problem with the toolchain itself (building, fetching, publishing it). Found while
 * planning it names no image; a stage that fetches it on first use names itself (user.ts).
 */
export class ToolchainError extends BuildError {
  constructor(readonly detail: string, options?: ErrorOptions) {
    super("", "ansible", detail, undefined, options);
  }
}

/** The repository's tag went away between planning and the first run (a cleanup). */
export class ToolchainGone extends ToolchainError {}

/**
 * Where build containers see the toolchain. Under /dev on purpose: the engine mounts a
 * tmpfs there in every container, so the mount point it creates for a bind lives in that
 * tmpfs and never in the stage's layer (a bind at /.slipway would leave `/.slipway` in it).
 */
export const TOOLCHAIN_MOUNT = "/dev/.slipway/ansible";

export interface Toolchain {
  dir: string;
  /** sha256:<hex> of the directory as a canonical tar (its layer's diff id). */
  digest: string;
  /**
   * The recipe id (`ansible-toolchain.sh --id`: the packages and script it is made of) when
   * known: the tag it is published under, ansible-toolchain-<id>.
   */
  recipe?: string;
  /**
   * Makes the toolchain real before a container mounts it and resolves to the directory
   * to mount: a toolchain known from the registry by its digest alone (enough to plan) is
   * fetched on first use. Absent: `dir` is there.
   */
  ready?: () => Promise<string>;
}

/**
 * The registry side of the toolchain (src/ansible/publish.ts): the stages repository of a
 * build, when it has one.
 */
export interface ToolchainRemote {
  /**
   * The toolchain published for `recipe`: `local` when it has the published digest, else one
   * fetched into `cacheDir` on first use; undefined when the repository has none.
   */
  find(recipe: string, cacheDir: string, local?: Toolchain & { recipe: string }): Promise<Toolchain | undefined>;
  /** Publishes `toolchain` under its recipe unless the registry has one for it; nothing when this build must not write. */
  publish(toolchain: Toolchain & { recipe: string }): Promise<void>;
}

/** What the toolchain's preparation tells the user (stderr): built, fetched, published. */
export type ToolchainLog = (line: string) => void;

export type ToolchainSource = () => Promise<Toolchain>;

/** scripts/ansible-toolchain.sh of this installation (from src/ansible/ or the dist/ bundle). */
export function toolchainScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "../../scripts/ansible-toolchain.sh"), join(here, "../scripts/ansible-toolchain.sh")];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new ToolchainError(`scripts/ansible-toolchain.sh is missing (looked at ${candidates.join(", ")})`);
  return found;
}

/** Where the node image (runner-image/install.sh) puts the toolchain it builds. */
export const NODE_IMAGE_TOOLCHAIN = "/opt/slipway/ansible-toolchain";

/** A directory holds a whole toolchain (the wrapper is written last). */
export const isToolchain = (dir: string) => existsSync(join(dir, "bin", "ansible-playbook"));

/**
 * The toolchain of this node: SLIPWAY_ANSIBLE_TOOLCHAIN (a directory built beforehand by
 * the same script, for TOOLCHAIN_MOUNT), else the node image's, else the one the stages
 * repository has for this node's recipe (`remote`: its digest is what stages are planned
 * with, so every node of a repository agrees; fetched only when a stage runs), else one
 * built in `cacheDir` under the recipe id, and published to the repository for the next
 * node. A given directory is published too when a `<dir>.key` file beside it names its
 * recipe id (runner-image/install.sh writes one).
 */
export async function nodeToolchain(
  cacheDir: string, env: Record<string, string | undefined> = process.env, prebuilt = NODE_IMAGE_TOOLCHAIN,
  remote?: ToolchainRemote, log: ToolchainLog = () => undefined,
): Promise<Toolchain> {
  const given = env.SLIPWAY_ANSIBLE_TOOLCHAIN || (isToolchain(prebuilt) ? prebuilt : undefined);
  if (given) {
    const recipe = (await readFile(`${given}.key`, "utf8").catch(() => "")).trim();
    const toolchain = { dir: given, digest: await cachedDigest(given, `${given}.digest`) };
    if (!/^[0-9a-f]{32}$/.test(recipe)) return toolchain;
    await remote?.publish({ ...toolchain, recipe });
    return { ...toolchain, recipe };
  }
  const script = toolchainScript();
  const id = await run(script, ["--id"]);
  if (id.code !== 0) throw new ToolchainError(`the ansible toolchain cannot be built here (needs Debian's python3.11, ansible-core, ansible, busybox-static): ${id.stderr.trim()}`);
  const recipe = id.stdout.trim();
  const dir = join(cacheDir, recipe);
  const local = isToolchain(dir) ? { dir, digest: await cachedDigest(dir, `${dir}.digest`), recipe } : undefined;
  // The repository's toolchain for the recipe wins over a local build with another digest.
  const found = await remote?.find(recipe, cacheDir, local);
  if (found?.ready && remote) return orBuiltHere(found, found.ready, { script, dir, recipe, remote, log });
  if (found) return found;
  if (!local) {
    const started = performance.now();
    await buildInto(script, dir);
    await writeFile(`${dir}.key`, `${recipe}\n`);
    log(`ansible toolchain built in ${dir} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  const toolchain = { dir, digest: await cachedDigest(dir, `${dir}.digest`), recipe };
  await remote?.publish(toolchain);
  return toolchain;
}

/**
 * A toolchain to fetch that, should its tag be gone when a stage first needs it, is built
 * here instead, if that gives the digest the build was planned with (the script's output
 * is reproducible), and published again.
 */
function orBuiltHere(found: Toolchain, fetch: () => Promise<string>, o: { script: string; dir: string; recipe: string; remote: ToolchainRemote; log: ToolchainLog }): Toolchain {
  let once: Promise<string> | undefined;
  const ready = () => (once ??= fetch().catch(async (err: unknown) => {
    if (!(err instanceof ToolchainGone)) throw err;
    if (!isToolchain(o.dir)) {
      await buildInto(o.script, o.dir);
      await writeFile(`${o.dir}.key`, `${o.recipe}\n`);
    }
    const digest = await cachedDigest(o.dir, `${o.dir}.digest`);
    if (digest !== found.digest) throw new ToolchainError(`${err.detail}, and the toolchain here (${o.dir}) has digest ${digest}, not ${found.digest}; run the build again`);
    o.log(`ansible toolchain ${digest.slice(0, 19)} was gone from the repository: built here (the same digest)`);
    await o.remote.publish({ dir: o.dir, digest, recipe: o.recipe });
    return o.dir;
  }));
  return { ...found, ready };
}

/** Builds beside `dir` and renames into place, so a concurrent build never sees half a toolchain. */
async function buildInto(script: string, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const built = await run(script, [tmp, TOOLCHAIN_MOUNT]);
  if (built.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new ToolchainError(`building the ansible toolchain failed: ${built.stderr.trim().split("\n").slice(-5).join("\n")}`);
  }
  await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true })); // another build won
}

async function cachedDigest(dir: string, file: string): Promise<string> {
  const known = await readFile(file, "utf8").catch(() => "");
  if (/^sha256:[0-9a-f]{64}$/.test(known.trim())) return known.trim();
  const res = await run(toolchainScript(), ["--digest", dir]);
  const digest = res.stdout.trim();
  if (res.code !== 0 || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new ToolchainError(`the digest of the ansible toolchain in ${dir}: ${res.stderr.trim()}`);
  // Beside the directory; a read-only place (a node image's /opt) just recomputes it next time.
  await writeFile(file, digest).catch(() => undefined);
  return digest;
}
