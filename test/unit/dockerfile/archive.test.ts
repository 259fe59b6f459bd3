import { gzipSync } from "node:zlib";
import { xz } from "@napi-rs/lzma";
import { pack } from "tar-stream";
import { describe, expect, test } from "vitest";
import { ArchiveError, archiveEntries, isArchive } from "../../../src/dockerfile/archive.ts";
import { isGitSource, urlFileName } from "../../../src/dockerfile/url.ts";

async function tar(entries: [Record<string, unknown>, string?][]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on("end", () => resolve()));
  for (const [header, body] of entries) p.entry(header as never, body ?? "");
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe("ADD archives (moby's isArchivePath)", () => {
  test("a tar, plain or compressed, is an archive; compressed non-tar data, an empty tar and text are not", async () => {
    const t = await tar([[{ name: "a.txt", mode: 0o644 }, "a"]]);
    expect(await isArchive(t)).toBe(true);
    expect(await isArchive(gzipSync(t))).toBe(true);
    expect(await isArchive(xz.compressSync(t))).toBe(true);
    expect(await isArchive(gzipSync("plain text\n"))).toBe(false);
    expect(await isArchive(Buffer.alloc(1024))).toBe(false);
    expect(await isArchive(Buffer.from("BZh not really bzip2"))).toBe(false);
    expect(await isArchive(Buffer.from("hello\n"))).toBe(false);
    await expect(isArchive(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).rejects.toBeInstanceOf(ArchiveError);
  });

  test("entries keep modes, owners and link targets, cannot leave the destination, and a hard link is a copy", async () => {
    const t = await tar([
      [{ name: "./", type: "directory", mode: 0o700 }],
      [{ name: "bin/tool", mode: 0o4755, uid: 7, gid: 8 }, "t"],
      [{ name: "../../escape.txt", mode: 0o644 }, "e"],
      [{ name: "lnk", type: "symlink", linkname: "/etc/passwd" }],
      [{ name: "hard", type: "link", linkname: "bin/tool" }],
    ]);
    const out = await archiveEntries(gzipSync(t), "/opt");
    expect(out.map((e) => [e.type, e.path, "mode" in e ? e.mode.toString(8) : "", "uid" in e ? `${e.uid}:${e.gid}` : ""])).toEqual([
      ["file", "/opt/bin/tool", "4755", "7:8"],
      ["file", "/opt/escape.txt", "644", "0:0"],
      ["symlink", "/opt/lnk", "", "0:0"],
      ["file", "/opt/hard", "4755", "7:8"],
    ]);
    expect(out.find((e) => e.path === "/opt/hard")).toMatchObject({ content: Buffer.from("t") });
  });
});

describe("ADD URLs", () => {
  test("file names and git sources as BuildKit reads them", () => {
    expect(urlFileName("https://example.com/dl/app.tar.gz?x=1", null)).toBe("app.tar.gz");
    expect(urlFileName("https://example.com/", null)).toBe("__unnamed__");
    expect(urlFileName("https://example.com/get", 'attachment; filename="tool-1.2.bin"')).toBe("tool-1.2.bin");
    for (const s of ["git@github.com:a/b.git", "https://github.com/a/b.git#v1", "git://example.com/x", "github.com/a/b"]) expect(isGitSource(s), s).toBe(true);
    expect(isGitSource("https://example.com/x.tar.gz")).toBe(false);
  });
});
