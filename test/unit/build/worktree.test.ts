import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { openTracked, readWorktree, type TrackedFile } from "../../../src/build/git.ts";
import { buildLayer, layerBytes } from "../../../src/build/layer.ts";

/** A committed repository with `files`; returns its directory. */
async function repo(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-worktree-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" } });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "init");
  return dir;
}

const paths = (files: TrackedFile[]) => files.map((f) => f.path).sort();

describe("the working tree as git sees it", () => {
  test("from a subdirectory: the whole repository's files, by paths from its top, and modified ones re-hashed", async () => {
    const dir = await repo({ "app/werf.yaml": "w\n", "app/src/a.txt": "a\n", "lib/b.txt": "b\n", "top.txt": "t\n" });
    await writeFile(join(dir, "lib/b.txt"), "b2\n");
    const fromTop = await readWorktree(dir, "f");
    const fromSub = await readWorktree(join(dir, "app"), "f");
    expect(paths(fromSub.files)).toEqual(["app/src/a.txt", "app/werf.yaml", "lib/b.txt", "top.txt"]);
    expect(fromSub).toEqual(fromTop);
    const b = fromSub.files.find((f) => f.path === "lib/b.txt")!;
    expect(b.blob).toBe(execFileSync("git", ["-C", dir, "hash-object", "lib/b.txt"]).toString().trim());
  });

  test("files below a tracked directory that is now a symlink are deleted, whatever the link points at", async () => {
    const dir = await repo({ "conf/passwd": "mine\n", "conf/a.conf": "a\n", "other/x": "x\n", "top.txt": "t\n" });
    await rm(join(dir, "conf"), { recursive: true });
    await symlink("/etc", join(dir, "conf"));
    expect(paths((await readWorktree(dir, "f")).files)).toEqual(["other/x", "top.txt"]);
    await rm(join(dir, "conf"));
    await symlink("other", join(dir, "conf")); // inside the repository: git still counts them deleted
    expect(paths((await readWorktree(dir, "f")).files)).toEqual(["other/x", "top.txt"]);
  });

  test("a tracked file turned symlink is a symlink (target text hashed), a modified file is re-hashed", async () => {
    const dir = await repo({ "link": "plain\n", "mod.txt": "v1\n" });
    await rm(join(dir, "link"));
    await symlink("/etc/shadow", join(dir, "link"));
    await writeFile(join(dir, "mod.txt"), "v2\n");
    const files = (await readWorktree(dir, "f")).files;
    const link = files.find((f) => f.path === "link")!;
    expect(link.mode).toBe("120000");
    expect(await openTracked(dir, link)).toEqual({ kind: "symlink", target: "/etc/shadow" });
    const mod = files.find((f) => f.path === "mod.txt")!;
    expect(mod.blob).toBe(execFileSync("git", ["hash-object", "--stdin"], { input: "v2\n" }).toString().trim());
  });

  test("opening never follows a parent symlink that appeared after the listing, and names what is wrong", async () => {
    const dir = await repo({ "conf/passwd": "mine\n" });
    const [file] = (await readWorktree(dir, "f")).files;
    await rm(join(dir, "conf"), { recursive: true });
    await symlink("/etc", join(dir, "conf"));
    await expect(openTracked(dir, file)).rejects.toThrow(/parent directory is a symlink/);
  });

  test("a file that became a symlink after the listing is not read through (O_NOFOLLOW)", async () => {
    const dir = await repo({ "data.txt": "mine\n" });
    const [file] = (await readWorktree(dir, "f")).files;
    const content = await openTracked(dir, file);
    if (content.kind !== "file") throw new Error("expected a file");
    await rm(join(dir, "data.txt"));
    await symlink("/etc/passwd", join(dir, "data.txt"));
    await expect(buildLayer([{ type: "file", path: "/app/data.txt", mode: 0o644, uid: 0, gid: 0, content: content.source }])).rejects.toThrow(
      /cannot read tracked file data\.txt: ELOOP/,
    );
  });

  test("a file that shrank while the layer was written fails the layer, naming the file", async () => {
    const dir = await repo({ "big.bin": "0123456789" });
    const [file] = (await readWorktree(dir, "f")).files;
    const content = await openTracked(dir, file);
    if (content.kind !== "file") throw new Error("expected a file");
    await truncate(join(dir, "big.bin"), 4);
    await expect(buildLayer([{ type: "file", path: "/big.bin", mode: 0o644, uid: 0, gid: 0, content: content.source }])).rejects.toThrow(
      /cannot read tracked file big\.bin: it shrank while the build read it \(4 of 10 bytes\)/,
    );
  });

  test("a streamed file gives the same layer bytes as the same content in memory", async () => {
    const dir = await repo({ "a.txt": "x".repeat(3 * 1024 * 1024 + 7) });
    const [file] = (await readWorktree(dir, "f")).files;
    const content = await openTracked(dir, file);
    if (content.kind !== "file") throw new Error("expected a file");
    const streamed = await buildLayer([{ type: "file", path: "/a.txt", mode: 0o644, uid: 0, gid: 0, content: content.source }]);
    const inMemory = await buildLayer([{ type: "file", path: "/a.txt", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("x".repeat(3 * 1024 * 1024 + 7)) }]);
    expect(streamed.diffId).toBe(inMemory.diffId);
    expect((await layerBytes(streamed)).equals(await layerBytes(inMemory))).toBe(true);
    await Promise.all([streamed.dispose(), inMemory.dispose()]);
  });
});
