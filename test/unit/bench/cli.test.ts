import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundleCli } from "../../../bench/lib/cli.ts";
import { EXTERNAL } from "../../../scripts/cli-bundle.mjs";

describe("the bench's CLI bundle", () => {
  it("is built as dist/ is: small packages inside, only the heavy ones imported from node_modules", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-bench-cli-"));
    await bundleCli(dir);
    const files = (await readdir(join(dir, "dist"))).filter((f) => f.endsWith(".js"));
    const code = (await Promise.all(files.map((f) => readFile(join(dir, "dist", f), "utf8")))).join("\n");
    const imported = new Set([...code.matchAll(/(?:\bfrom\s*|\bimport\(\s*)"((?:@[a-z0-9-]+\/)?[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9._/-]+)?)"/g)].map((m) => m[1]).filter((p) => !p.startsWith("node:")));
    const heavy = (p: string) => EXTERNAL.some((e) => (e.endsWith("/*") ? p.startsWith(e.slice(0, -1)) : p === e || p.startsWith(`${e}/`)));
    expect([...imported].filter((p) => !heavy(p))).toEqual([]);
    expect(imported.has("dockerode")).toBe(true);
  }, 60_000);
});
