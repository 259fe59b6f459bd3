import { describe, expect, test } from "vitest";
import { distributedBuild } from "../../../src/build/remote/distributed.ts";
import { RegistryStageStore } from "../../../src/build/remote/store.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { MemoryEngine } from "../../../src/engine/memory.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { pushBaseImage } from "../../support/base-image.ts";
import { scratchDir } from "../../support/services.ts";

/*
 * The registry walk builds images at once; a failure in one must end the build (with
 * that failure), never leave a stage of another image waiting for a stage that will
 * not be made, and start nothing new.
 */

async function world(images: string) {
  const registry = new MemoryRegistry("registry.memory.invalid");
  const engine = new MemoryEngine({ registryFor: (host) => (host === registry.host ? registry : undefined) });
  const base = `${registry.host}/base/busybox:1`;
  const digest = await pushBaseImage(engine, base);
  await engine.removeImage(base);
  const dir = await scratchDir();
  const config = parseConfig(`project: unit\nconfigVersion: 1\n${images.replaceAll("BASE", base)}`, "werf.yaml", dir, {});
  const store = new RegistryStageStore(registry, "proj/stages");
  const build = () => distributedBuild({
    config, images: [], engine, resolveBase: async () => digest, buildDir: dir, store,
    registryFor: (h) => (h === registry.host ? registry : (undefined as never)), build: true, tags: ["main"],
  });
  return { build, registry, engine };
}

/** Settles within `ms`, or fails the test instead of hanging it. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms))]);
}

describe("a failure in a build of several images", () => {
  test("an image that builds on a failed one fails with the first failure, it does not wait forever", async () => {
    const { build } = await world(`---
image: a
from: BASE
shell:
  install: ["exit 4"]
  setup: ["echo never > /setup"]
---
image: b
fromImage: a
docker:
  WORKDIR: /app
`);
    await expect(within(10_000, build())).rejects.toMatchObject({ name: "BuildError", stage: "install", exitCode: 4 });
  });

  test("an image importing from a failed artifact fails too, and no final tag is written", async () => {
    const { build, registry } = await world(`---
artifact: tool
from: BASE
shell:
  install: ["exit 3"]
---
image: app
from: BASE
import:
- artifact: tool
  add: /tool
  to: /tool
  before: setup
shell:
  setup: ["echo app > /app"]
`);
    await expect(within(10_000, build())).rejects.toMatchObject({ stage: "install", exitCode: 3 });
    expect(await registry.listTags("proj/stages/app")).toEqual([]);
  });
});

describe("stages made in Node while the one below uploads", () => {
  const images = `---
image: app
from: BASE
docker:
  WORKDIR: /app
  ENV: { A: "1" }
  LABEL: { l: x }
`;

  test("the final tag waits for its stages: a stage upload that fails leaves no tag, and the build fails with it", async () => {
    const { build, registry } = await world(images);
    const push = registry.pushBlob.bind(registry);
    let failed = 0;
    registry.pushBlob = async (repo, digest, data, mountFrom) => {
      // The first new blob of the stages repository: a stage's config, uploading while the next is made.
      if (repo === "proj/stages" && !mountFrom && failed++ === 0) {
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("upload refused");
      }
      return push(repo, digest, data, mountFrom);
    };
    await expect(within(10_000, build())).rejects.toThrow(/upload refused/);
    expect(await registry.listTags("proj/stages/app")).toEqual([]);
    expect((await registry.listTags("proj/stages")).filter((t) => t !== "latest")).toEqual([]);
  });

  test("every stage and the tag are written, each stage's bytes its own", async () => {
    const { build, registry } = await world(images);
    const report = await within(10_000, build());
    const [image] = report.images;
    expect(image.manifestDigest).toMatch(/^sha256:/);
    expect((await registry.listTags("proj/stages")).filter((t) => t.startsWith("stage-")).length).toBe(image.stages.length);
    // A config stage uploads one config blob: what it pushed is that blob, not the final image's config too.
    for (const s of image.stages.filter((x) => x.status === "appended")) {
      const stored = await new RegistryStageStore(registry, "proj/stages").read(s.digest);
      expect(s.bytesPushed).toBe(stored.manifest.config.size);
    }
  });
});
