import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pack, type Header } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLayer, type Layer } from "../../../src/build/layer.ts";
import { indexLayerDir } from "../../../src/build/layer-index-dir.ts";
import { indexTar } from "../../../src/build/layer-index.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { testEngine } from "../../support/services.ts";

/** A layer tar written entry by entry (overlay-only forms: opaque markers, devices). */
async function rawLayer(entries: { header: Partial<Header> & { name: string }; body?: string }[]): Promise<Layer> {
  const p = pack();
  for (const e of entries) p.entry({ ...e.header, mtime: new Date(0) } as Header, e.body ?? "");
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  const tar = Buffer.concat(chunks);
  return { diffId: `sha256:${createHash("sha256").update(tar).digest("hex")}`, size: tar.length, open: () => Readable.from([tar]), dispose: async () => undefined };
}

const root = { uid: 0, gid: 0 };

describe("layer indexes read from the engine's unpacked layers", () => {
  let engine: PrivateEngine;
  beforeAll(async () => {
    engine = await testEngine();
  }, 120_000);
  afterAll(async () => {
    await engine?.[Symbol.asyncDispose]();
  });

  it("match the indexes of the layers' tars, whiteouts and opaque directories included", async () => {
    const docker = new DockerEngine({ socketPath: engine.socketPath });
    const first = await buildLayer([
      { type: "directory", path: "/srv", mode: 0o750, uid: 1000, gid: 1001 },
      { type: "directory", path: "/srv/data", mode: 0o2775, uid: 1000, gid: 1001 },
      { type: "file", path: "/srv/data/a.txt", mode: 0o640, uid: 1000, gid: 1001, content: Buffer.from("a") },
      { type: "symlink", path: "/srv/current", ...root, target: "data" },
      { type: "directory", path: "/tmp", mode: 0o1777, ...root },
      { type: "directory", path: "/gone", mode: 0o755, ...root },
      { type: "file", path: "/gone/old.txt", mode: 0o644, ...root, content: Buffer.from("old") },
      { type: "file", path: "/x", mode: 0o600, ...root, content: Buffer.from("x") },
      // A file in a directory the tar never lists: the engine makes it 0755 root:root.
      { type: "file", path: "/implied/deep/f", mode: 0o644, ...root, content: Buffer.from("f") },
    ]);
    const second = await rawLayer([
      { header: { name: ".wh.x", type: "file", mode: 0o600, size: 0 } },
      { header: { name: "gone/", type: "directory", mode: 0o700, uid: 7, gid: 8 } },
      { header: { name: "gone/.wh..wh..opq", type: "file", mode: 0o600, size: 0 } },
      { header: { name: "gone/new.txt", type: "file", mode: 0o644, size: 3 }, body: "new" },
      { header: { name: "srv/", type: "directory", mode: 0o755, uid: 1000, gid: 1001 } },
      { header: { name: "srv/hard", type: "link", linkname: "gone/new.txt", mode: 0o644 } },
      { header: { name: "srv/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 } },
    ]);
    const ref = "slipway-test/indexed:1";
    await docker.loadImage(
      { architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [first.diffId, second.diffId] } },
      [first, second],
      [ref],
    );
    const dirs = await docker.layerDirs(ref);
    expect(dirs?.map((d) => d.diffId)).toEqual([first.diffId, second.diffId]);
    const fromDirs = await Promise.all(dirs!.map((d) => indexLayerDir(d.dir)));
    const fromTars = await Promise.all([first, second].map((l) => indexTar(l.open())));
    expect(fromDirs[0]).toEqual(fromTars[0]);
    expect(fromDirs[1]).toEqual(fromTars[1]);
    // What the comparison stands on: the overlay forms were read back, not dropped.
    expect(fromDirs[1].get("/x")).toEqual({ type: "whiteout" });
    expect(fromDirs[1].get("/gone")).toMatchObject({ type: "directory", mode: 0o700, uid: 7, gid: 8, opaque: true });
    expect(fromDirs[0].get("/srv/data")).toEqual({ type: "directory", mode: 0o2775, uid: 1000, gid: 1001 });
    expect(fromDirs[0].get("/implied/deep")).toEqual({ type: "directory", mode: 0o755, uid: 0, gid: 0 });
    expect(await docker.layerDirs("slipway-test/absent:1")).toBeUndefined();
  }, 120_000);
});
