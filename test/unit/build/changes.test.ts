import { describe, expect, test } from "vitest";
import type { Header } from "tar-stream";
import { convertEntry } from "../../../src/build/remote/changes.ts";

const mtime = new Date(1_000_000);
const entry = (h: Partial<Header>): Header => ({ name: "x", type: "file", mode: 0o644, uid: 0, gid: 0, mtime, size: 0, ...h }) as Header;

describe("overlay upper-directory entries as image-layer entries", () => {
  test("a whiteout (character device 0/0) becomes .wh.<name>", () => {
    expect(convertEntry(entry({ name: "./bin/ls", type: "character-device", devmajor: 0, devminor: 0, mode: 0 }))).toEqual([
      expect.objectContaining({ name: "bin/.wh.ls", type: "file", size: 0, mode: 0o600 }),
    ]);
  });

  test("an opaque directory gets .wh..wh..opq after its own entry; overlay's bookkeeping xattrs are dropped", () => {
    const out = convertEntry(entry({ name: "./usr/lib/x/", type: "directory", mode: 0o755, pax: { "SCHILY.xattr.trusted.overlay.opaque": "y", "SCHILY.xattr.trusted.overlay.origin": "\u0000" } }));
    expect(out.map((h) => [h.name, h.type])).toEqual([["usr/lib/x/", "directory"], ["usr/lib/x/.wh..wh..opq", "file"]]);
    expect(out.every((h) => h.pax === undefined && h.uname === "" && h.gname === "")).toBe(true);
  });

  test("files keep mode, owner, size and mtime; hard links point at the layer's name; real devices stay devices", () => {
    expect(convertEntry(entry({ name: "./opt/f", mode: 0o4755, uid: 7, gid: 8, size: 3 }))).toEqual([expect.objectContaining({ name: "opt/f", mode: 0o4755, uid: 7, gid: 8, size: 3, mtime })]);
    expect(convertEntry(entry({ name: "./opt/g", type: "link", linkname: "./opt/f" }))[0]).toMatchObject({ name: "opt/g", type: "link", linkname: "opt/f" });
    expect(convertEntry(entry({ name: "./dev/null", type: "character-device", devmajor: 1, devminor: 3 }))[0]).toMatchObject({ type: "character-device", devmajor: 1, devminor: 3 });
  });

  test("what a layer made here cannot carry exactly makes it give up (the engine commits instead)", () => {
    expect(() => convertEntry(entry({ name: "./bin/ping", pax: { "SCHILY.xattr.security.capability": "\u0001" } }))).toThrow(/security.capability/);
    expect(() => convertEntry(entry({ name: "./moved/", type: "directory", pax: { "SCHILY.xattr.trusted.overlay.redirect": "/old" } }))).toThrow(/redirect/);
    expect(() => convertEntry(entry({ name: "./f", pax: { "SCHILY.xattr.trusted.overlay.metacopy": "" } }))).toThrow(/metacopy/);
  });
});
