import { BuildError } from "../../../src/errors.ts";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { describe, expect, test } from "vitest";
import { buildLayer, gzipLayer, layerBytes, type LayerEntry } from "../../../src/build/layer.ts";
import { ownerResolver } from "../../../src/build/stages/owners.ts";

async function names(tar: Buffer): Promise<{ name: string; uid?: number; gid?: number; mtime?: Date }[]> {
  const out: { name: string; uid?: number; gid?: number; mtime?: Date }[] = [];
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    out.push({ name: h.name, uid: h.uid, gid: h.gid, mtime: h.mtime });
    stream.on("end", next);
    stream.resume();
  });
  const done = new Promise<void>((resolve) => reader.on("finish", () => resolve()));
  Readable.from([tar]).pipe(reader);
  await done;
  return out;
}

const file = (path: string, content = "x"): LayerEntry => ({ type: "file", path, mode: 0o644, uid: 0, gid: 0, content: Buffer.from(content) });

describe("deterministic layers", () => {
  test("a small layer built in memory is the same tar, and the same gzip blob, as one written to its file", async () => {
    const entries = (content: (text: string) => Buffer | { size: number; open(): Readable }): LayerEntry[] => [
      { type: "directory", path: "/app", mode: 0o755, uid: 0, gid: 0 },
      { type: "file", path: "/app/main.sh", mode: 0o755, uid: 1000, gid: 1000, content: content("echo hi\n") },
      { type: "file", path: "/app/deps.txt", mode: 0o644, uid: 0, gid: 0, content: content("a\nb\n") },
      { type: "symlink", path: "/app/run", uid: 0, gid: 0, target: "main.sh" },
      { type: "whiteout", path: "/app/old" },
    ];
    const inMemory = await buildLayer(entries((t) => Buffer.from(t)));
    // Content that streams from a source goes through the temporary file.
    const onDisk = await buildLayer(entries((t) => ({ size: Buffer.byteLength(t), open: () => Readable.from([Buffer.from(t)]) })));
    expect(inMemory.bytes).toBeDefined();
    expect(onDisk.bytes).toBeUndefined();
    expect([inMemory.diffId, inMemory.size]).toEqual([onDisk.diffId, onDisk.size]);
    expect((await layerBytes(inMemory)).equals(await layerBytes(onDisk))).toBe(true);
    // Opened twice, read twice: the same bytes each time.
    expect((await layerBytes(inMemory)).equals(inMemory.bytes!)).toBe(true);
    const [a, b] = await Promise.all([gzipLayer(inMemory), gzipLayer(onDisk)]);
    expect(a!.digest).toBe(b!.digest);
    expect(await gzipLayer(inMemory, 10)).toBeUndefined();
    await Promise.all([inMemory.dispose(), onDisk.dispose()]);
  });

  test("the same entries in any order give the same bytes and diff id", async () => {
    const a = await buildLayer([file("/app/b"), file("/app/a"), { type: "symlink", path: "/app/l", uid: 0, gid: 0, target: "a" }]);
    const b = await buildLayer([{ type: "symlink", path: "/app/l", uid: 0, gid: 0, target: "a" }, file("/app/a"), file("/app/b")]);
    expect(a.diffId).toBe(b.diffId);
    expect((await layerBytes(a)).equals(await layerBytes(b))).toBe(true);
    expect((await buildLayer([file("/app/a", "y")])).diffId).not.toBe((await buildLayer([file("/app/a", "x")])).diffId);
  });

  test("entries are sorted, have a fixed mtime, and no implicit parent directories", async () => {
    const entries = await names(await layerBytes(await buildLayer([file("/srv/app/z"), file("/srv/app/a")])));
    expect(entries.map((e) => e.name)).toEqual(["srv/app/a", "srv/app/z"]);
    for (const e of entries) expect(e.mtime?.getTime()).toBe(0);
  });

  test("a whiteout deletes a path from the layers below", async () => {
    const entries = await names(await layerBytes(await buildLayer([{ type: "whiteout", path: "/app/old.txt" }])));
    expect(entries.map((e) => e.name)).toEqual(["app/.wh.old.txt"]);
  });
});

describe("compressed layers", () => {
  test("gzip is deterministic and digested; past the in-memory limit it gives up instead of holding the bytes", async () => {
    const { randomBytes, createHash } = await import("node:crypto");
    const { gunzipSync } = await import("node:zlib");
    const layer = await buildLayer([{ type: "file", path: "/r", mode: 0o644, uid: 0, gid: 0, content: randomBytes(512 * 1024) }]);
    const gz = (await gzipLayer(layer))!;
    expect(gz.digest).toBe(`sha256:${createHash("sha256").update(gz.data).digest("hex")}`);
    expect(gunzipSync(gz.data).equals(await layerBytes(layer))).toBe(true);
    expect((await gzipLayer(layer))!.digest).toBe(gz.digest);
    expect(await gzipLayer(layer, 100 * 1024)).toBeUndefined();
    await layer.dispose();
  });
});

describe("owners", () => {
  test("a numeric owner takes the same numeric group, a named one its primary group", async () => {
    const files: Record<string, string> = { "/etc/passwd": "app:x:1000:2000::/home/app:/bin/sh\n", "/etc/group": "web:x:3000:\n" };
    const resolve = ownerResolver(async (p) => files[p], { image: "web", stage: "gitArchive" });
    expect(await resolve("1000")).toEqual({ uid: 1000, gid: 1000 });
    expect(await resolve("1000", "5")).toEqual({ uid: 1000, gid: 5 });
    expect(await resolve("app")).toEqual({ uid: 1000, gid: 2000 });
    expect(await resolve("app", "web")).toEqual({ uid: 1000, gid: 3000 });
    expect(await resolve()).toEqual({ uid: 0, gid: 0 });
    const unknown = await resolve("nobody").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(BuildError);
    expect(unknown).toMatchObject({ image: "web", stage: "gitArchive", message: expect.stringMatching(/image web, stage gitArchive: owner nobody is not in/) });
    await expect(resolve("app", "nogroup")).rejects.toMatchObject({ name: "BuildError", image: "web", stage: "gitArchive", message: expect.stringMatching(/group nogroup/) });
  });
});
