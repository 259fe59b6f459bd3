// Bundles the CLI into dist/ with esbuild: one fast step that `npm ci` runs through
// `prepare`, so `npx slipway` works without a build the user must remember.
// Dependencies stay external and heavy ones (AWS SDK, Pulumi) are imported lazily
// in the source, so they are only loaded by the commands that need them.
import { rmSync } from "node:fs";
import { build } from "esbuild";

// Chunk names carry content hashes: stale chunks from earlier builds would pile up.
rmSync("dist", { recursive: true, force: true });

const EXTERNAL = ["@aws-sdk/*", "@smithy/*", "@kubernetes/*", "@pulumi/*", "@napi-rs/*", "dockerode", "docker-modem", "ssh2", "cpu-features", "seek-bzip", "tar"];

await build({
  entryPoints: { slipway: "src/cli/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Small dependencies are bundled (one file read and compiled per chunk, not per module:
  // a CLI's start-up is mostly module loading); the heavy ones stay external, imported lazily.
  external: EXTERNAL,
  banner: { js: 'import { createRequire as __slipwayRequire } from "node:module"; const require = __slipwayRequire(import.meta.url);' },
  sourcemap: "linked",
  logLevel: "warning",
});
