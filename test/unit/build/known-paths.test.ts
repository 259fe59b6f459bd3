import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { buildLayer, layerBytes, withParents, type LayerEntry, type PathAttrs } from "../../../src/build/layer.ts";
import { annotatedIndexes, decodeIndex, encodeIndex, indexTar, LAYER_INDEX_ANNOTATION, lookup, UnreadableLayer } from "../../../src/build/layer-index.ts";
import { KnownPaths } from "../../../src/build/remote/known-paths.ts";
import type { ImageManifest } from "../../../src/image/index.ts";
import { readTar } from "../../../src/build/tar-read.ts";

const file = (path: string, uid = 0) => ({ type: "file" as const, path, mode: 0o644, uid, gid: uid, content: Buffer.from("x") });
const dir = (path: string, mode: number, uid: number) => ({ type: "directory" as const, path, mode, uid, gid: uid });

async function tarOf(entries: LayerEntry[]): Promise<Buffer> {
  const layer = await buildLayer(entries);
  try {
    return await layerBytes(layer);
  } finally {
    await layer.dispose();
  }
}

const indexOf = async (entries: LayerEntry[]) => indexTar(Readable.from([await tarOf(entries)]));

describe("layer indexes", () => {
  test("entries, implied parents as the engine makes them (0755 root), whiteouts and opaque directories", async () => {
    const index = await indexOf([file("/app/src/main.txt"), dir("/home/app", 0o750, 1000), { type: "whiteout", path: "/old/dir" }, { type: "symlink", path: "/bin/sh", uid: 0, gid: 0, target: "busybox" }]);
    expect(lookup([index], "/app")).toEqual({ type: "directory", mode: 0o755, uid: 0, gid: 0 });
    expect(lookup([index], "/home/app/")).toEqual({ type: "directory", mode: 0o750, uid: 1000, gid: 1000 });
    expect(lookup([index], "/app/src/main.txt")?.type).toBe("file");
    expect(lookup([index], "/bin/sh")).toMatchObject({ type: "symlink", target: "busybox" });
    expect(lookup([index], "/old/dir")).toBeUndefined();
    expect(lookup([index], "/nowhere")).toBeUndefined();
    // Annotated indexes leave files out (only directories are asked about).
    expect(decodeIndex(encodeIndex(index))).toEqual(new Map([...index].filter(([, e]) => e.type !== "file")));
  });

  test("the topmost layer that says anything decides: upper attributes win, a whiteout or a file hides what is below", async () => {
    const lower = await indexOf([dir("/home/app", 0o750, 1000), file("/home/app/x"), file("/srv/data/y")]);
    const upper = await indexOf([dir("/home/app", 0o700, 5), { type: "whiteout", path: "/srv/data" }]);
    expect(lookup([upper, lower], "/home/app")).toMatchObject({ mode: 0o700, uid: 5 });
    expect(lookup([upper, lower], "/home/app/x")?.type).toBe("file");
    expect(lookup([upper, lower], "/srv/data")).toBeUndefined();
    expect(lookup([upper, lower], "/srv/data/y")).toBeUndefined();
    expect(lookup([upper, lower], "/srv")?.type).toBe("directory");
  });
});

describe("parent directories in a file layer, as BuildKit's diff has them", () => {
  const parent = new Map<string, PathAttrs>([
    ["/home", { type: "directory", mode: 0o755, uid: 0, gid: 0 }],
    ["/home/app", { type: "directory", mode: 0o750, uid: 1000, gid: 1000 }],
    ["/tmp", { type: "directory", mode: 0o1777, uid: 0, gid: 0 }],
    ["/bin", { type: "symlink", mode: 0o777, uid: 0, gid: 0, target: "usr/bin" }],
    ["/usr", { type: "directory", mode: 0o755, uid: 0, gid: 0 }],
    ["/usr/bin", { type: "directory", mode: 0o755, uid: 0, gid: 0 }],
  ]);
  const stat = async (p: string) => parent.get(p);

  test("existing parents keep their mode and owner; missing ones are 0755 root; the caller's own entries win", async () => {
    const entries = await withParents([file("/home/app/deep/new/a.txt"), file("/tmp/t"), dir("/home/app/deep", 0o700, 7)], stat);
    const tar = await readTar(await tarOf(entries));
    expect(tar.map((i) => `${i.name} ${i.type} ${i.mode.toString(8)} ${i.uid}:${i.gid}`)).toEqual([
      "home directory 755 0:0",
      "home/app directory 750 1000:1000",
      "home/app/deep directory 700 7:7",
      "home/app/deep/new directory 755 0:0",
      "home/app/deep/new/a.txt file 644 0:0",
      "tmp directory 1777 0:0",
      "tmp/t file 644 0:0",
    ]);
  });

  test("a directory made under a setgid directory is setgid and of its group, unless chowned", async () => {
    const sg = async (p: string) => (p === "/sg" ? { type: "directory" as const, mode: 0o2770, uid: 1000, gid: 1000 } : undefined);
    const entries = await withParents([file("/sg/new/deep/a.txt"), { ...dir("/sg/own", 0o755, 7), made: "chown" as const }, { ...dir("/sg/wd", 0o755, 0), made: "inherit" as const }, file("/other/x")], sg);
    const tar = await readTar(await tarOf(entries));
    expect(tar.filter((i) => i.type === "directory").map((i) => `${i.name} ${i.mode.toString(8)} ${i.uid}:${i.gid}`)).toEqual([
      "other 755 0:0", "sg 2770 1000:1000", "sg/new 2755 0:1000", "sg/new/deep 2755 0:1000", "sg/own 2755 7:7", "sg/wd 2755 0:1000",
    ]);
  });

  test("a path under a symlinked directory goes where the link points", async () => {
    const entries = await withParents([file("/bin/tool")], stat);
    expect(entries.map((e) => e.path).sort()).toEqual(["/usr", "/usr/bin", "/usr/bin/tool"]);
  });
});

describe("the parent's filesystem in the registry", () => {
  test("a layer that cannot be indexed (zstd, not a tar) says so, and is not remembered", async () => {
    const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    const m: ImageManifest = { schemaVersion: 2, mediaType: "x", config: { mediaType: "x", digest: "sha256:c", size: 1 }, layers: [{ mediaType: "x", digest: "sha256:z", size: 8 }] };
    let fetches = 0;
    const stat = new KnownPaths().stat(m, ["sha256:zd"], async () => (fetches++, Readable.from([zstd])), () => undefined);
    await expect(stat("/app")).rejects.toBeInstanceOf(UnreadableLayer);
    await expect(stat("/app")).rejects.toThrow(/zstd/);
    expect(fetches).toBe(2);
    const junk = new KnownPaths().stat(m, ["sha256:zd"], async () => Readable.from([gzipSync(Buffer.from("not a tar at all".repeat(64)))]), () => undefined);
    await expect(junk("/app")).rejects.toBeInstanceOf(UnreadableLayer);
  });

  const manifest = (layers: string[], annotations?: Record<string, string>): ImageManifest =>
    ({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "x", digest: "sha256:c", size: 1 }, layers: layers.map((digest) => ({ mediaType: "x", digest, size: 1 })), ...(annotations ? { annotations } : {}) });

  test("a layer without an index is downloaded once and indexed; an annotated or remembered one is not downloaded", async () => {
    const base = gzipSync(await tarOf([dir("/home/app", 0o750, 1000), file("/etc/passwd")]));
    const top = await indexOf([file("/app/a.txt")]);
    const fetched: string[] = [];
    const fetch = async (d: string) => (fetched.push(d), Readable.from([d === "sha256:base" ? base : Buffer.alloc(0)]));
    let bytes = 0;
    const known = new KnownPaths();
    known.remember("sha256:top-diff", top);
    const diffIds = ["sha256:base-diff", "sha256:top-diff"];
    const stat = known.stat(manifest(["sha256:base", "sha256:top"]), diffIds, fetch, (n) => (bytes += n));
    expect(await stat("/app")).toMatchObject({ type: "directory", uid: 0 });
    expect(fetched).toEqual([]);
    expect(await stat("/home/app")).toMatchObject({ mode: 0o750, uid: 1000 });
    expect(await stat("/home")).toMatchObject({ mode: 0o755 });
    expect(fetched).toEqual(["sha256:base"]);
    expect(bytes).toBe(base.length);

    // The next manifest carries both indexes: another build (another node) downloads nothing.
    // (by diff id: the engine may push the same layer under another blob digest)
    const m = manifest(["sha256:other-base", "sha256:other-top"]);
    await known.settle(diffIds);
    const annotated = known.annotate(m, diffIds);
    expect([...annotatedIndexes(annotated.annotations).keys()]).toEqual(diffIds);
    const fresh = new KnownPaths();
    const nothing = async (d: string): Promise<Readable> => {
      throw new Error(`downloaded ${d}`);
    };
    const stat2 = fresh.stat(annotated, diffIds, nothing, () => undefined);
    expect(await stat2("/home/app")).toMatchObject({ mode: 0o750, uid: 1000 });
    expect(await stat2("/app")).toMatchObject({ type: "directory" });
    // A manifest over other layers drops what does not describe them.
    const other = fresh.annotate({ ...annotated, layers: annotated.layers.slice(0, 1) }, diffIds.slice(0, 1));
    expect([...annotatedIndexes(other.annotations).keys()]).toEqual(["sha256:base-diff"]);
    expect(fresh.annotate({ ...annotated, layers: [] }, []).annotations?.[LAYER_INDEX_ANNOTATION]).toBeUndefined();
  });
});
