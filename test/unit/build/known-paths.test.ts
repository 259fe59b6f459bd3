import { describe, expect, test } from "vitest";
import { buildLayer } from "../../../src/build/layer.ts";
import { KnownPaths, layerPaths } from "../../../src/build/remote/known-paths.ts";

const file = (path: string) => ({ type: "file" as const, path, mode: 0o644, uid: 0, gid: 0, content: Buffer.from("x") });

describe("paths known to exist from layers made in Node", () => {
  test("a layer makes its entries and their parents; whiteouts delete", async () => {
    const layer = await buildLayer([file("/app/src/main.txt"), { type: "whiteout", path: "/old/dir" }]);
    try {
      const { made, deleted } = await layerPaths(layer);
      expect([...made].sort()).toEqual(["/app", "/app/src", "/app/src/main.txt"]);
      expect([...deleted]).toEqual(["/old/dir"]);
    } finally {
      await layer.dispose();
    }
  });

  test("down a chain of file and config stages; nothing known of a stage not made here", async () => {
    const known = new KnownPaths();
    const a = await buildLayer([file("/app/a.txt"), file("/srv/x/y")]);
    const b = await buildLayer([{ type: "whiteout", path: "/srv/x" }]);
    try {
      await known.add("s1", "base", a);
      known.same("s2", "s1");
      await known.add("s3", "s2", b);
      expect(known.has("s2", "/app")).toBe(true);
      expect(known.has("s2", "/app/")).toBe(true);
      expect(known.has("s2", "/srv/x/y")).toBe(true);
      expect(known.has("s3", "/srv/x/y")).toBe(false);
      expect(known.has("s3", "/srv")).toBe(true);
      expect(known.has("s3", "/app/a.txt")).toBe(true);
      expect(known.has("base", "/app")).toBe(false);
      expect(known.has("other", "/")).toBe(true);
      known.same("s4", "unknown");
      expect(known.has("s4", "/app")).toBe(false);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});
