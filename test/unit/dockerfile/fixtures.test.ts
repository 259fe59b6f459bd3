import { cp, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { planProject } from "../../../src/build/plan.ts";
import { loadDockerfileProject } from "../../../src/dockerfile/project.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { ConfigError } from "../../../src/errors.ts";
import { scratchDir } from "../../support/services.ts";

const FIXTURES = new URL("../../fixtures/dockerfiles/", import.meta.url).pathname;
const names = (await readdir(FIXTURES)).sort();
const planned = names.filter((n) => !n.endsWith("-refused"));

/** A stand-in for the registry: every base ref pins to a digest made from its name, and is recorded. */
function standInResolver(seen: string[]) {
  return async (ref: string) => {
    seen.push(ref);
    return `sha256:${Buffer.from(ref).toString("hex").padEnd(64, "0").slice(0, 64)}`;
  };
}

async function planFixture(name: string, seen: string[] = []) {
  const dir = await scratchDir("slipway-dffixture-");
  await cp(join(FIXTURES, name), dir, { recursive: true });
  const config = await loadDockerfileProject({ dir, buildArgs: {}, network: false });
  return planProject(config, [], { engine: {} as Engine, buildDir: "/tmp", resolveBase: standInResolver(seen) });
}

describe("real public Dockerfiles (adapted, sources in SOURCE.md)", () => {
  test("Go, Node and Python multi-stage files are kept, each naming its source", async () => {
    expect(planned.filter((n) => n.startsWith("go-")).length).toBeGreaterThanOrEqual(2);
    expect(planned.filter((n) => n.startsWith("node-")).length).toBeGreaterThanOrEqual(2);
    expect(planned.filter((n) => n.startsWith("python-")).length).toBeGreaterThanOrEqual(2);
    for (const name of names) expect((await readdir(join(FIXTURES, name)))).toContain("SOURCE.md");
  });

  test.each(planned)("%s plans one stage per instruction with stable digests", async (name) => {
    const seen: string[] = [];
    const a = await planFixture(name, seen);
    const b = await planFixture(name);
    expect(a.images).toHaveLength(1);
    const stages = a.images[0].stages;
    expect(stages[0].name).toMatch(/^FROM#\d+ /);
    for (const s of stages) {
      expect(s.name).toMatch(/^[A-Z]+#\d+( |$)/);
      expect(s.digest).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(stages.filter((s) => s.stage.root).every((s) => s.parent === undefined)).toBe(true);
    expect(b.images[0].stages.map((s) => s.digest)).toEqual(stages.map((s) => s.digest));
    expect(seen.length).toBeGreaterThan(0);
  });

  test("the ARG in FROM resolves to the default's image", async () => {
    const seen: string[] = [];
    await planFixture("node-docs-args", seen);
    expect(seen).toEqual(["node:20.3.0-alpine"]);
  });

  test("RUN --mount=type=cache plans as a RUN stage; the cache enters its digest by target only", async () => {
    const plan = await planFixture("go-cache-mount");
    const run = plan.images[0].stages.find((s) => s.name === "RUN#7 --mount=type=cache,target=/root/.cache/g...");
    expect(run?.stage.inputs()).toContainEqual(["mounts", "cache /root/.cache/go-build"]);
  });
});
