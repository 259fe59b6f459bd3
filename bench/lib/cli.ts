import { cp, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../src/util/process.ts";
import { bundleCli as bundle } from "../../scripts/cli-bundle.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The commit HEAD points to now (others may commit while the bench runs). */
export async function headCommit(): Promise<string> {
  const res = await run("git", ["-C", ROOT, "rev-parse", "HEAD"]);
  if (res.code !== 0) throw new Error(`git rev-parse HEAD: ${res.stderr}`);
  return res.stdout.trim();
}

/** Copies the sources the CLI bundles (src/, functions/) as of `commit` into `dir`. */
async function exportCommit(dir: string, commit: string): Promise<void> {
  const res = await run("sh", ["-c", `git -C "${ROOT}" archive ${commit} src functions | tar -x -C "${dir}"`]);
  if (res.code !== 0) throw new Error(`exporting sources at ${commit}: ${res.stderr}`);
}

/**
 * Bundles the slipway CLI into `dir` as scripts/build.mjs does (scripts/cli-bundle.mjs).
 * From `commit`, so the numbers belong to a commit and not to whatever half-edited
 * files the working tree holds (and no rebuild of dist/ can race the bench); with
 * no commit, from the working tree. Small packages are bundled as in dist/; the heavy
 * ones stay external and resolve through a node_modules link to the checkout's.
 */
export async function bundleCli(dir: string, commit?: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const srcRoot = commit ? dir : ROOT;
  if (commit) await exportCommit(dir, commit);
  await bundle(join(srcRoot, "src/cli/main.ts"), join(dir, "dist"));
  // Profiles name the bundle's file: kept beside them, to read what a job loaded.
  if (process.env.BENCH_CPU_PROF) await cp(join(dir, "dist"), join(process.env.BENCH_CPU_PROF, "cli-dist"), { recursive: true });
  return join(dir, "dist", "slipway.js");
}
