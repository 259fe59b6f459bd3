import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Bundles the slipway CLI into `dir`, exactly as scripts/build.mjs does for dist/,
 * so the bench measures the shipped bundle without depending on (or racing) a
 * dist/ that may be rebuilt meanwhile. Packages stay external and resolve
 * through a node_modules link to the checkout's.
 */
export async function bundleCli(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  await build({
    entryPoints: { slipway: join(ROOT, "src/cli/main.ts") },
    outdir: dir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  return join(dir, "slipway.js");
}
