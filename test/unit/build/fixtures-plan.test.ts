import { cp, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { planProject } from "../../../src/build/plan.ts";
import { loadConfig } from "../../../src/config/load.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { gitProject } from "../../support/project.ts";

const FIXTURES = new URL("../../fixtures/configs/", import.meta.url).pathname;
const names = (await readdir(FIXTURES)).filter((n) => !n.endsWith("-refused"));

/** Plans a fixture in a fresh git repository: digests only, no engine work, bases pinned by a fake resolver. */
async function planFixture(name: string) {
  const project = await gitProject({});
  await cp(join(FIXTURES, name), project.dir, { recursive: true });
  await project.commit("fixture");
  const config = await loadConfig({ dir: project.dir, env: { CI_COMMIT_SHA: "abc", ENV: "production", BUILD_IMAGE: "node:8.12-slim" } });
  const plan = await planProject(config, [], {
    engine: {} as Engine,
    buildDir: "/tmp",
    resolveBase: async (ref) => `sha256:${Buffer.from(ref).toString("hex").padEnd(64, "0").slice(0, 64)}`,
    // Planning only: ansible stages need the toolchain's digest, not the toolchain.
    ansibleToolchain: async () => ({ dir: "/nonexistent", digest: `sha256:${"0".repeat(64)}` }),
  });
  return plan;
}

describe("real-world configs plan", () => {
  test("there are at least five", () => {
    expect(names.length).toBeGreaterThanOrEqual(5);
  });

  test.each(names)("%s plans every image with valid, stable digests", async (name) => {
    const a = await planFixture(name);
    const b = await planFixture(name);
    expect(a.images.length).toBeGreaterThan(0);
    for (const image of a.images) {
      expect(image.stages[0].name).toBe("from");
      for (const stage of image.stages) expect(stage.digest).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(b.images.map((i) => i.digest)).toEqual(a.images.map((i) => i.digest));
  });
});
