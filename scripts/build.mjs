// Bundles the CLI into dist/ with esbuild: one fast step that `npm ci` runs through
// `prepare`, so `npx slipway` works without a build the user must remember.
// Dependencies stay external and heavy ones (AWS SDK, Pulumi) are imported lazily
// in the source, so they are only loaded by the commands that need them.
import { rmSync } from "node:fs";
import { build } from "esbuild";
import { cliBundleOptions } from "./cli-bundle.mjs";

// Chunk names carry content hashes: stale chunks from earlier builds would pile up.
rmSync("dist", { recursive: true, force: true });

await build({ ...cliBundleOptions("src/cli/main.ts", "dist"), sourcemap: "linked" });
