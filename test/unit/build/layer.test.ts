import { BuildError } from "../../../src/errors.ts";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { describe, expect, test } from "vitest";
import { buildLayer, type LayerEntry } from "../../../src/build/layer.ts";
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
  test("the same entries in any order give the same bytes and diff id", async () => {
    const a = await buildLayer([file("/app/b"), file("/app/a"), { type: "symlink", path: "/app/l", uid: 0, gid: 0, target: "a" }]);
    const b = await buildLayer([{ type: "symlink", path: "/app/l", uid: 0, gid: 0, target: "a" }, file("/app/a"), file("/app/b")]);
    expect(a.diffId).toBe(b.diffId);
    expect(a.tar.equals(b.tar)).toBe(true);
    expect((await buildLayer([file("/app/a", "y")])).diffId).not.toBe((await buildLayer([file("/app/a", "x")])).diffId);
  });

  test("entries are sorted, have a fixed mtime, and no implicit parent directories", async () => {
    const entries = await names((await buildLayer([file("/srv/app/z"), file("/srv/app/a")])).tar);
    expect(entries.map((e) => e.name)).toEqual(["srv/app/a", "srv/app/z"]);
    for (const e of entries) expect(e.mtime?.getTime()).toBe(0);
  });

  test("a whiteout deletes a path from the layers below", async () => {
    const entries = await names((await buildLayer([{ type: "whiteout", path: "/app/old.txt" }])).tar);
    expect(entries.map((e) => e.name)).toEqual(["app/.wh.old.txt"]);
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
