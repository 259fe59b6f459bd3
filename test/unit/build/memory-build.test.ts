import { describe, expect, test } from "vitest";
import { buildImages, planImages } from "../../../src/build/builder.ts";
import { extractFile } from "../../../src/build/tar-read.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { MemoryEngine } from "../../../src/engine/memory.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { pushBaseImage } from "../../support/base-image.ts";
import { scratchDir } from "../../support/services.ts";

/*
 * The local builder on the in-memory engine: the stage walk, the executors and the
 * engine stage cache exercised without a Docker engine (the same builds run on a real
 * one in test/integration/build).
 */

async function world() {
  const registry = new MemoryRegistry("registry.memory.invalid");
  const engine = new MemoryEngine({ registryFor: (host) => (host === registry.host ? registry : undefined) });
  const base = `${registry.host}/base/busybox:1`;
  const digest = await pushBaseImage(engine, base);
  await engine.removeImage(base);
  return { engine, base, resolveBase: async () => digest };
}

function config(base: string, setup: string, dir: string) {
  const text = `project: unit
configVersion: 1
---
image: app
from: ${base}
shell:
  install:
  - mkdir -p /app
  - echo installed > /app/done
  setup:
  - ${setup}
docker:
  WORKDIR: /app
`;
  return parseConfig(text, "werf.yaml", dir, {});
}

describe("local builds on the in-memory engine", () => {
  test("build runs each command stage once, a rebuild finds every stage in the engine", async () => {
    const { engine, base, resolveBase } = await world();
    const dir = await scratchDir();
    const opts = { config: config(base, "cat /app/done > /app/setup", dir), images: [], engine, resolveBase, buildDir: dir };
    const first = await buildImages(opts);
    expect(first.totals.containersRun).toBe(2);
    expect(first.images[0].stages.map((s) => [s.name, s.status])).toEqual([["from", "appended"], ["install", "built"], ["setup", "built"], ["dockerInstructions", "appended"]]);
    expect((await engine.readPath(first.images[0].ref, "/app/setup", extractFile))?.toString()).toBe("installed\n");
    expect((await engine.inspectImage(first.images[0].ref))?.config.config).toMatchObject({ WorkingDir: "/app" });
    const again = await buildImages(opts);
    expect(again.totals.containersRun).toBe(0);
    expect(again.images[0].stages.every((s) => s.status === "local")).toBe(true);
    expect(engine.containersRun).toBe(2);
  });

  test("a failed command stops the build with its exit code; the fixed build resumes after the stages that were made", async () => {
    const { engine, base, resolveBase } = await world();
    const dir = await scratchDir();
    const failing = { config: config(base, "exit 4", dir), images: [], engine, resolveBase, buildDir: dir };
    await expect(buildImages(failing)).rejects.toMatchObject({ name: "BuildError", stage: "setup", exitCode: 4 });
    const plan = await planImages({ ...failing, config: config(base, "touch /app/fixed", dir) });
    expect(plan.images[0].stages.map((s) => s.status)).toEqual(["local", "local", "missing", "missing"]);
    const fixed = await buildImages({ ...failing, config: config(base, "touch /app/fixed", dir) });
    expect(fixed.totals.containersRun).toBe(1);
    expect(await engine.readPath(fixed.images[0].ref, "/app/fixed", async () => true)).toBe(true);
  });
});
