// Bundles each function's Lambda entry (functions/<name>/lambda.ts) into one small ESM
// file, dist/functions/<name>/index.mjs (+ index.zip when `zip` exists), for infra/.
// The AWS SDK v3 ships with the Node.js Lambda runtime, so it stays external.
// Usage: node scripts/bundle-functions.mjs [OUTDIR]   (default dist/functions)
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const names = readdirSync("functions").filter((n) => existsSync(join("functions", n, "lambda.ts")));
const hasZip = (() => {
  try {
    execFileSync("zip", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

for (const name of names) {
  const outdir = join(process.argv[2] ?? join("dist", "functions"), name);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join("functions", name, "lambda.ts")],
    outfile: join(outdir, "index.mjs"),
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: ["@aws-sdk/*"],
    legalComments: "none",
    logLevel: "warning",
    // Lambda's Node runtime finds `handler` in index.mjs: handler setting "index.handler".
  });
  if (hasZip) execFileSync("zip", ["-q", "-j", join(outdir, "index.zip"), join(outdir, "index.mjs")]);
  const kib = (f) => (existsSync(f) ? `${(statSync(f).size / 1024).toFixed(1)} KiB` : "-");
  console.log(`${name.padEnd(16)} index.mjs ${kib(join(outdir, "index.mjs")).padStart(10)}  index.zip ${kib(join(outdir, "index.zip")).padStart(10)}`);
}
