/**
 * slipway's Ansible toolchain on the node: a directory built by
 * scripts/ansible-toolchain.sh from the host's Debian packages, kept under a key made
 * of those packages' versions (so an upgrade builds a new one), and its digest: the
 * sha256 of its canonical tar, the diff id of the one layer it is published as. The
 * digest enters every ansible stage's digest. Build containers get the directory as
 * a read-only bind at TOOLCHAIN_MOUNT, never as part of a layer.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildError } from "../errors.ts";
import { run } from "../util/process.ts";

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
}

export type ToolchainSource = () => Promise<Toolchain>;

/** scripts/ansible-toolchain.sh of this installation (from src/ansible/ or the dist/ bundle). */
export function toolchainScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "../../scripts/ansible-toolchain.sh"), join(here, "../scripts/ansible-toolchain.sh")];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new BuildError("", "ansible", `scripts/ansible-toolchain.sh is missing (looked at ${candidates.join(", ")})`);
  return found;
}

/** Where the node image (runner-image/install.sh) puts the toolchain it builds. */
export const NODE_IMAGE_TOOLCHAIN = "/opt/slipway/ansible-toolchain";

/**
 * The toolchain of this node: SLIPWAY_ANSIBLE_TOOLCHAIN (a directory built beforehand by
 * the same script, for TOOLCHAIN_MOUNT), else the node image's, else one built on first
 * use in `cacheDir` under the key of the packages it is made of.
 */
export async function nodeToolchain(cacheDir: string, env: Record<string, string | undefined> = process.env, prebuilt = NODE_IMAGE_TOOLCHAIN): Promise<Toolchain> {
  const given = env.SLIPWAY_ANSIBLE_TOOLCHAIN || (existsSync(join(prebuilt, "bin", "ansible-playbook")) ? prebuilt : undefined);
  if (given) return { dir: given, digest: await cachedDigest(given, `${given}.digest`) };
  const script = toolchainScript();
  const key = await run(script, ["--key"]);
  if (key.code !== 0) throw new BuildError("", "ansible", `the ansible toolchain cannot be built here (needs Debian's python3.11, ansible-core, ansible, busybox-static): ${key.stderr.trim()}`);
  const id = createHash("sha256").update(key.stdout).digest("hex").slice(0, 32);
  const dir = join(cacheDir, id);
  if (!existsSync(join(dir, "bin", "ansible-playbook"))) await buildInto(script, dir);
  return { dir, digest: await cachedDigest(dir, `${dir}.digest`) };
}

/** Builds beside `dir` and renames into place, so a concurrent build never sees half a toolchain. */
async function buildInto(script: string, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const built = await run(script, [tmp, TOOLCHAIN_MOUNT]);
  if (built.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new BuildError("", "ansible", `building the ansible toolchain failed: ${built.stderr.trim().split("\n").slice(-5).join("\n")}`);
  }
  await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true })); // another build won
}

async function cachedDigest(dir: string, file: string): Promise<string> {
  const known = await readFile(file, "utf8").catch(() => "");
  if (/^sha256:[0-9a-f]{64}$/.test(known.trim())) return known.trim();
  const res = await run(toolchainScript(), ["--digest", dir]);
  const digest = res.stdout.trim();
  if (res.code !== 0 || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new BuildError("", "ansible", `the digest of the ansible toolchain in ${dir}: ${res.stderr.trim()}`);
  // Beside the directory; a read-only place (a node image's /opt) just recomputes it next time.
  await writeFile(file, digest).catch(() => undefined);
  return digest;
}
