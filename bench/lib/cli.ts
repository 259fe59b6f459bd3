import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { run } from "../../src/util/process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Copies the sources the CLI bundles (src/, functions/) as committed at HEAD into `dir`. */
async function exportHead(dir: string): Promise<void> {
  const res = await run("sh", ["-c", `git -C "${ROOT}" archive HEAD src functions | tar -x -C "${dir}"`]);
  if (res.code !== 0) throw new Error(`exporting sources at HEAD: ${res.stderr}`);
}

/**
 * Bundles the slipway CLI into `dir`, exactly as scripts/build.mjs does for dist/.
 * By default from the committed HEAD, so the numbers belong to a commit and not to
 * whatever half-edited files the working tree holds (and no rebuild of dist/ can
 * race the bench); `fromWorktree` bundles the working tree instead. Packages stay
 * external and resolve through a node_modules link to the checkout's.
 */
export async function bundleCli(dir: string, fromWorktree = false): Promise<string> {
  await mkdir(dir, { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const srcRoot = fromWorktree ? ROOT : dir;
  if (!fromWorktree) await exportHead(dir);
  await build({
    entryPoints: { slipway: join(srcRoot, "src/cli/main.ts") },
    outdir: join(dir, "dist"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  return join(dir, "dist", "slipway.js");
}
