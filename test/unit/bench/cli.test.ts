import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli } from "../../../bench/lib/cli.ts";
import { EXTERNAL } from "../../../scripts/cli-bundle.mjs";

let dir: string;
let dist: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-bench-cli-"));
  await bundleCli(dir);
  dist = join(dir, "dist");
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the bundled CLI with SLIPWAY_DEBUG, which makes the launcher say what became of the code cache. */
function cli(args: string[], cwd = dir) {
  const r = spawnSync(process.execPath, [join(dist, "slipway.js"), ...args], { cwd, env: { ...process.env, SLIPWAY_DEBUG: "1", NO_COLOR: "1" }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the CLI bundle (the bench's, built as dist/ is)", () => {
  it("holds the small packages; only the heavy ones are loaded from node_modules", async () => {
    const code = await readFile(join(dist, "slipway.cjs"), "utf8");
    const loaded = new Set([...code.matchAll(/\b(?:require|__sImp)\(\s*"((?:@[a-z0-9-]+\/)?[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9._/-]+)?)"/g)].map((m) => m[1]).filter((p) => !p.startsWith("node:")));
    const heavy = (p: string) => EXTERNAL.some((e) => (e.endsWith("/*") ? p.startsWith(e.slice(0, -1)) : p === e || p.startsWith(`${e}/`)));
    const builtin = (p: string) => !p.includes("/") && ["buffer", "events", "fs", "process", "util", "stream", "path", "os", "crypto", "url", "zlib"].includes(p);
    expect([...loaded].filter((p) => !heavy(p) && !builtin(p))).toEqual([]);
    expect(loaded.has("dockerode")).toBe(true);
    // Every dynamic import goes through the launcher's: none is left for a cached function to lose.
    expect(code.split("\n").slice(1).join("\n")).not.toMatch(/(?<![\w$.])import\(/);
    // No built-in is imported dynamically: that would start Node's ES module loader in every job.
    expect(code).not.toMatch(/__sImp\(["']node:/);
  });

  it("starts as CommonJS, launcher and bin alike: no ES module is run at start-up", async () => {
    // Node loads its ES module job machinery only to run an ES module (15-25 ms of a job's start-up).
    const probe = join(dir, "probe.cjs");
    await writeFile(probe, `process.on("exit", () => process.stderr.write(process.moduleLoadList.filter((m) => m.endsWith("esm/module_job")).join(",")));`);
    for (const entry of [join(dist, "slipway.js"), join(__dirname, "../../../bin/slipway.js")]) {
      const r = spawnSync(process.execPath, ["-r", probe, entry, "--version"], { encoding: "utf8" });
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      expect(r.stderr).toBe("");
    }
    // The probe sees an ES module run when there is one.
    const esm = join(dir, "probe.mjs");
    await writeFile(esm, "");
    expect(spawnSync(process.execPath, ["-r", probe, esm], { encoding: "utf8" }).stderr).toContain("module_job");
  });

  it("starts from its code cache, made at build time for this very bundle", async () => {
    const caches = (await readdir(dist)).filter((f) => f.endsWith(".cache"));
    expect(caches).toHaveLength(1);
    const r = cli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.stderr).toContain("slipway: code cache used");
  });

  it("runs a command whose cached functions import modules dynamically", async () => {
    const project = await mkdtemp(join(tmpdir(), "slipway-bundle-plan-"));
    try {
      await writeFile(join(project, "Dockerfile"), "FROM scratch\nCOPY Dockerfile /\n");
      spawnSync("git", ["init", "-q", project]);
      // plan loads the build's modules with import(); without an engine it then fails on the engine, not on an import.
      const r = spawnSync(process.execPath, [join(dist, "slipway.js"), "plan", "--dir", project, "--json"], {
        env: { ...process.env, SLIPWAY_DEBUG: "1", DOCKER_HOST: `unix://${join(project, "none.sock")}`, SLIPWAY_HOME: join(project, "home") },
        encoding: "utf8",
      });
      expect(r.stderr).toContain("slipway: code cache used");
      expect(r.stderr).not.toMatch(/dynamic import|ERR_VM/);
      expect(JSON.parse(r.stdout).error?.kind ?? "none").toMatch(/^(engine|none)$/);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  it("compiles as usual when V8 refuses the cache or it is missing", async () => {
    const [cache] = (await readdir(dist)).filter((f) => f.endsWith(".cache"));
    const bytes = await readFile(join(dist, cache));
    try {
      await writeFile(join(dist, cache), bytes.subarray(0, 64));
      let r = cli(["--version"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("code cache rejected");
      await rm(join(dist, cache));
      r = cli(["--version"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("code cache missing");
    } finally {
      await writeFile(join(dist, cache), bytes);
    }
  });
});
