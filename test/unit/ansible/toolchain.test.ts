import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { toolchainScript } from "../../../src/ansible/toolchain.ts";
import { run } from "../../../src/util/process.ts";
import { scratchDir } from "../../support/services.ts";

async function digest(dir: string): Promise<string> {
  const res = await run(toolchainScript(), ["--digest", dir]);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout.trim();
}

describe("the toolchain's digest", () => {
  test("is the sha256 of its canonical tar: times do not count, contents and modes do", async () => {
    const dir = await scratchDir("slipway-toolchain-");
    await mkdir(join(dir, "bin"));
    await writeFile(join(dir, "bin", "python3"), "#!/bin/sh\n", { mode: 0o755 });
    const first = await digest(dir);
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    await utimes(join(dir, "bin", "python3"), new Date(5_000_000), new Date(5_000_000));
    expect(await digest(dir)).toBe(first);
    await writeFile(join(dir, "bin", "python3"), "#!/bin/sh\nexit 1\n");
    expect(await digest(dir)).not.toBe(first);
  });

  test("the cache key names the Debian packages and versions it is built from", async () => {
    const res = await run(toolchainScript(), ["--key"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^ansible-core=2\.\d+/m);
    expect(res.stdout).toMatch(/^python3\.11-minimal=3\.11/m);
  });
});
