// Bundles the CLI into dist/ with esbuild: one fast step that `npm ci` runs through
// `prepare`, so `npx slipway` works without a build the user must remember.
// Dependencies stay external and heavy ones (AWS SDK, Pulumi) are imported lazily
// in the source, so they are only loaded by the commands that need them.
// See scripts/cli-bundle.mjs for the bundle's form (one CommonJS file, a code cache, a launcher).
import { rmSync } from "node:fs";
import { bundleCli } from "./cli-bundle.mjs";

// The cache is named by the bundle's hash: stale ones from earlier builds would pile up.
rmSync("dist", { recursive: true, force: true });

await bundleCli("src/cli/main.ts", "dist", { sourcemap: "linked" });
