import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Handlers must be Web-standard: bundling them for the browser fails on any node: import,
 * and no AWS SDK module may appear among their inputs.
 */
it.each(["gitlab-webhook", "launcher", "reaper", "reconciler", "cleanup"])("the %s handler imports no Node API and no AWS SDK", async (name) => {
  const out = await build({
    entryPoints: [`${ROOT}functions/${name}/index.ts`],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(out.metafile.inputs);
  expect(inputs.filter((i) => i.includes("node_modules") || i.startsWith("node:"))).toEqual([]);
});
