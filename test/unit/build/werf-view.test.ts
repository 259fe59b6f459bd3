import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { describe, expect, test } from "vitest";
import type { ImageConfig } from "../../../src/config/types.ts";
import { conveyor } from "../../../src/build/conveyor.ts";
import { stageDigest } from "../../../src/build/digest.ts";
import type { Worktree } from "../../../src/build/git.ts";
import type { PlacedFile } from "../../../src/build/placement.ts";
import { GIT_FILES_LABEL, decodeGitFiles, encodeGitFiles, patchLayer } from "../../../src/build/stages/git-patch.ts";
import type { Engine } from "../../../src/engine/types.ts";

const loc = { file: "werf.yaml", line: 1 };

function image(over: Partial<ImageConfig> = {}): ImageConfig {
  return {
    name: "app",
    kind: "image",
    from: "registry.local/base:1",
    git: [{ add: "/", to: "/app", includePaths: [], excludePaths: [], stageDependencies: { install: ["deps.txt"], setup: ["conf"] }, location: loc }],
    shell: { beforeInstall: ["echo bi"], install: ["echo i"], beforeSetup: ["echo bs"], setup: ["echo s"], stageCacheVersions: {} },
    docker: { volume: [], env: {}, label: {}, expose: [], cmd: ["run"] },
    imports: [],
    dependencies: [],
    mounts: [],
    network: false,
    gitVisibility: "werf",
    location: loc,
    ...over,
  };
}

function tree(files: Record<string, string> = {}): Worktree {
  const all = { "deps.txt": "b1", "conf/x": "b2", "src/main.js": "b3", ...files };
  return { root: "/nonexistent", files: Object.entries(all).map(([path, blob]) => ({ path, mode: "100644", blob })) };
}

function digests(img: ImageConfig, wt: Worktree = tree()): Record<string, string> {
  const stages = conveyor({ project: "p", image: img, worktree: wt, engine: {} as Engine, buildDir: "/tmp", baseDigest: () => "sha256:" + "a".repeat(64), imageResult: () => undefined });
  const out: Record<string, string> = {};
  let parent: string | undefined;
  for (const s of stages) out[s.name] = parent = stageDigest(s.kind, parent, s.inputs());
  return out;
}

const changed = (a: Record<string, string>, b: Record<string, string>) => Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);

describe("werf's view of git files: stages and digests", () => {
  test("gitArchive comes after beforeInstall; no per-stage git layers", () => {
    expect(Object.keys(digests(image()))).toEqual(["from", "beforeInstall", "gitArchive", "install", "beforeSetup", "setup", "gitLatest", "dockerInstructions"]);
  });

  test("the strict view keeps its own stages", () => {
    expect(Object.keys(digests(image({ gitVisibility: "strict" })))).toEqual(
      ["from", "beforeInstall", "gitInstall", "install", "beforeSetup", "gitSetup", "setup", "gitLatest", "dockerInstructions"],
    );
  });

  test("stageDependencies decide rebuilds: a dependency rebuilds from its stage, gitArchive never", () => {
    const base = digests(image());
    expect(changed(base, digests(image(), tree({ "deps.txt": "b9" })))).toEqual(["install", "beforeSetup", "setup", "gitLatest", "dockerInstructions"]);
    expect(changed(base, digests(image(), tree({ "conf/x": "b9" })))).toEqual(["setup", "gitLatest", "dockerInstructions"]);
  });

  test("any other file changes only gitLatest (which covers every file) and what follows", () => {
    const base = digests(image());
    expect(changed(base, digests(image(), tree({ "src/main.js": "b9" })))).toEqual(["gitLatest", "dockerInstructions"]);
    expect(changed(base, digests(image(), tree({ "src/new.js": "b9" })))).toEqual(["gitLatest", "dockerInstructions"]);
  });

  test("the mappings are gitArchive's identity", () => {
    const moved = image();
    moved.git[0] = { ...moved.git[0], to: "/srv" };
    expect(changed(digests(image()), digests(moved))[0]).toBe("gitArchive");
  });
});

async function entries(tar: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      out[h.name] = Buffer.concat(chunks).toString();
      next();
    });
  });
  const done = new Promise<void>((resolve) => reader.on("finish", () => resolve()));
  Readable.from([tar]).pipe(reader);
  await done;
  return out;
}

describe("git patches", () => {
  const owners = async () => ({ uid: 0, gid: 0 });
  async function files(contents: Record<string, [string, string]>): Promise<{ root: string; placed: PlacedFile[] }> {
    const root = await mkdtemp(join(tmpdir(), "slipway-patch-"));
    const placed: PlacedFile[] = [];
    for (const [path, [blob, text]] of Object.entries(contents)) {
      await writeFile(join(root, path), text);
      placed.push({ dest: `/app/${path}`, file: { path, mode: "100644", blob } });
    }
    return { root, placed };
  }

  test("the label round-trips, and anything else reads as unknown", () => {
    const placed: PlacedFile[] = [{ dest: "/app/a b\nc", file: { path: "a", mode: "100755", blob: "b1" }, owner: "app" }];
    expect(decodeGitFiles(encodeGitFiles(placed))).toEqual(new Map([["/app/a b\nc", "100755 b1 app:"]]));
    expect(decodeGitFiles("not base64 gzip")).toBeUndefined();
    expect(decodeGitFiles(undefined)).toBeUndefined();
  });

  test("without a parent record every file is in the patch", async () => {
    const { root, placed } = await files({ a: ["b1", "A"], b: ["b2", "B"] });
    const layer = await patchLayer(root, placed, {}, owners);
    expect(await entries(layer!.tar)).toEqual({ "app/a": "A", "app/b": "B" });
  });

  test("against the parent's record: changed and new files, whiteouts for removed ones; nothing when equal", async () => {
    const { root, placed } = await files({ a: ["b1", "A"], b: ["b2", "B2"], c: ["b3", "C"] });
    const parentFiles: PlacedFile[] = [placed[0], { ...placed[1], file: { ...placed[1].file, blob: "old" } }, { dest: "/app/gone", file: { path: "gone", mode: "100644", blob: "b4" } }];
    const layer = await patchLayer(root, placed, { [GIT_FILES_LABEL]: encodeGitFiles(parentFiles) }, owners);
    expect(await entries(layer!.tar)).toEqual({ "app/b": "B2", "app/c": "C", "app/.wh.gone": "" });
    expect(await patchLayer(root, placed, { [GIT_FILES_LABEL]: encodeGitFiles(placed) }, owners)).toBeUndefined();
  });
});
