// The esbuild options of the CLI bundle, shared by scripts/build.mjs (dist/) and the
// benchmark (bench/lib/cli.ts), so that the bench measures the CLI users run.

/** Heavy dependencies stay external (imported lazily, only by the commands that need them) or are native. */
export const EXTERNAL = ["@aws-sdk/*", "@smithy/*", "@kubernetes/*", "@pulumi/*", "@napi-rs/*", "dockerode", "docker-modem", "ssh2", "cpu-features", "seek-bzip", "tar"];

/** Options bundling `entry` (src/cli/main.ts) into `outdir` as slipway.js and its chunks. */
export function cliBundleOptions(entry, outdir) {
  return {
    entryPoints: { slipway: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Small dependencies are bundled (one file read and compiled per chunk, not per module:
    // a CLI's start-up is mostly module loading); the heavy ones stay external, imported lazily.
    external: EXTERNAL,
    banner: { js: 'import { createRequire as __slipwayRequire } from "node:module"; const require = __slipwayRequire(import.meta.url);' },
    logLevel: "warning",
  };
}
