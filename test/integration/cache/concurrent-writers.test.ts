import { randomBytes, createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RegistryDependencyCache } from "../../../src/cache/registry-cache.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { scratchDir, testRegistry } from "../../support/services.ts";
import { client } from "./support.ts";

// Many saves of one cache racing on a real registry, while readers restore it: a reader
// finds nothing, or one writer's whole round, never a mix or a part.

let registry: LocalRegistry;
beforeAll(async () => {
  registry = await testRegistry();
});
afterAll(() => registry?.stop());

const cacheFor = () => new RegistryDependencyCache({ registry: client(registry.host), repository: "race", project: "race", scope: { ref: "main", defaultBranch: "main" }, maxBytes: 64 << 20 });

/** Files named by the sha256 of their content, so a reader can check each one whole. */
async function fill(dir: string, writer: string, round: number): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const data = Buffer.concat([Buffer.from(`${writer}-${round}-${i}\n`), randomBytes(256 * 1024)]);
    await writeFile(join(dir, `${writer}-${round}-${createHash("sha256").update(data).digest("hex").slice(0, 16)}`), data);
  }
}

async function check(dir: string): Promise<string | undefined> {
  const names = (await readdir(dir)).sort();
  if (names.length === 0) return undefined;
  for (const name of names) {
    const data = await readFile(join(dir, name));
    expect(createHash("sha256").update(data).digest("hex").slice(0, 16)).toBe(name.split("-")[2]);
  }
  const rounds = new Set(names.map((n) => n.split("-").slice(0, 2).join("-")));
  expect(rounds.size).toBe(1);
  expect(names).toHaveLength(4);
  return [...rounds][0];
}

describe("concurrent cache writers", () => {
  test("last complete write wins; readers never see a partial or mixed cache", async () => {
    const root = await scratchDir("slipway-race-");
    const writer = async (name: string) => {
      const written: string[] = [];
      for (let round = 0; round < 4; round++) {
        const dir = join(root, `${name}-${round}`);
        await mkdir(dir);
        const restored = await cacheFor().restore("pkgs", dir);
        await check(dir);
        for (const f of await readdir(dir)) await rm(join(dir, f));
        await fill(dir, name, round);
        const saved = await cacheFor().save("pkgs", dir, restored);
        expect(saved.outcome).toBe("saved");
        written.push(`${name}-${round}`);
      }
      return written;
    };
    let reads = 0;
    let stop = false;
    const reader = async () => {
      const seen: string[] = [];
      while (!stop) {
        const dir = join(root, `reader-${reads++}`);
        await mkdir(dir);
        const r = await cacheFor().restore("pkgs", dir);
        expect(r.warnings).toEqual([]);
        const round = await check(dir);
        if (round) seen.push(round);
      }
      return seen;
    };
    const readers = [reader(), reader()];
    const [a, b] = await Promise.all([writer("a"), writer("b")]);
    stop = true;
    const seen = (await Promise.all(readers)).flat();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => [...a, ...b].includes(r))).toBe(true);
    // Afterwards the cache is one writer's last round, whole.
    const final = join(root, "final");
    await mkdir(final);
    await cacheFor().restore("pkgs", final);
    expect(["a-3", "b-3"]).toContain(await check(final));
  });
});
