import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { StageCache } from "../../../src/build/cache/types.ts";
import { buildLayer, type LayerEntry } from "../../../src/build/layer.ts";
import { extractFile } from "../../../src/build/tar-read.ts";
import type { Engine } from "../../../src/engine/types.ts";

/** A cache to test and the engine it moves stages in and out of; a fresh namespace per call. */
export interface StageCacheWorld {
  cache: StageCache;
  engine: Engine;
}

const digest = () => randomBytes(32).toString("hex");
const unique = (what: string) => `cache-contract/${what}-${randomBytes(4).toString("hex")}:1`;

/** A small image in the engine under a fresh tag: one layer holding `/stage` with `text`. */
async function image(engine: Engine, text: string) {
  const entry: LayerEntry = { type: "file", path: "/stage", mode: 0o644, uid: 0, gid: 0, content: Buffer.from(text) };
  const layer = await buildLayer([entry]);
  const ref = unique("built");
  const config = { architecture: "amd64", os: "linux", config: { Labels: { text } }, rootfs: { type: "layers" as const, diff_ids: [layer.diffId] } };
  const id = await engine.loadImage(config, [layer], [ref]).finally(() => layer.dispose());
  return { ref, id };
}

/**
 * The behaviour every StageCache implementation must show: run against the engine's
 * images and a registry's stages repository, each on MemoryEngine (unit) and on a real
 * engine and registry (integration).
 */
export function stageCacheContract(name: string, world: () => Promise<StageCacheWorld>) {
  describe(`StageCache contract: ${name}`, () => {
    it("finds nothing it was not given, and refuses to fetch it", async () => {
      const { cache } = await world();
      const d = digest();
      expect(await cache.find(d)).toBeUndefined();
      expect(await cache.findMany([d, digest()])).toEqual(new Set());
      await expect(cache.fetch(d, unique("none"))).rejects.toMatchObject({ name: "RegistryError", status: 404, digest: d });
    });

    it("publishes an engine image as a stage, then finds it", async () => {
      const { cache, engine } = await world();
      const d = digest();
      const built = await image(engine, `published ${d}`);
      expect((await cache.publish(d, built.ref)).outcome).toBe("published");
      expect(await cache.find(d)).toMatchObject({ digest: d });
      const other = digest();
      expect(await cache.findMany([d, other])).toEqual(new Set([d]));
    });

    it("publishing is create-if-absent: a second publish of the digest adopts the first", async () => {
      const { cache, engine } = await world();
      const d = digest();
      const first = await image(engine, `first ${d}`);
      const second = await image(engine, `second ${d}`);
      await cache.publish(d, first.ref);
      expect(await cache.publish(d, second.ref)).toEqual({ outcome: "adopted", bytes: 0 });
      const target = unique("fetched");
      await cache.fetch(d, target);
      expect((await engine.inspectImage(target))?.id).toBe(first.id);
    });

    it("fetches a stored stage into the engine under the name asked for, with its files", async () => {
      const { cache, engine } = await world();
      const d = digest();
      const built = await image(engine, `fetched ${d}`);
      await cache.publish(d, built.ref);
      await engine.removeImage(built.ref);
      const target = unique("fetched");
      await cache.fetch(d, target);
      expect((await engine.inspectImage(target))?.id).toBe(built.id);
      expect((await engine.readPath(target, "/stage", extractFile))?.toString()).toBe(`fetched ${d}`);
    });
  });
}
