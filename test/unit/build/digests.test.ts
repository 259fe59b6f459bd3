import { describe, expect, test } from "vitest";
import type { ImageConfig } from "../../../src/config/types.ts";
import { conveyor } from "../../../src/build/conveyor.ts";
import { stageDigest } from "../../../src/build/digest.ts";
import type { Worktree } from "../../../src/build/git.ts";
import type { Engine } from "../../../src/engine/types.ts";

const loc = { file: "slipway.yaml", line: 1 };
const BASE = "sha256:" + "a".repeat(64);

function image(over: Partial<ImageConfig> = {}): ImageConfig {
  return {
    name: "app",
    kind: "image",
    from: "registry.local/base:1",
    git: [{ add: "/", to: "/app", includePaths: [], excludePaths: [], stageDependencies: { install: ["deps.txt"], setup: ["conf"] }, location: loc }],
    shell: { beforeInstall: ["echo bi"], install: ["echo i"], beforeSetup: ["echo bs"], setup: ["echo s"], stageCacheVersions: {} },
    docker: { volume: [], env: { A: "1" }, label: {}, expose: [], cmd: ["run"] },
    imports: [],
    dependencies: [],
    mounts: [],
    network: false,
    gitVisibility: "strict",
    location: loc,
    ...over,
  };
}

function tree(files: Record<string, string> = {}, commit = "c1"): Worktree {
  const all = { "deps.txt": "b1", "conf/x": "b2", "src/main.js": "b3", ...files };
  return { root: "/nonexistent", commit, files: Object.entries(all).map(([path, blob]) => ({ path, mode: "100644", blob })) };
}

const engine = {} as Engine;

/** Stage name -> digest, chained exactly as the planner does. */
function digests(img: ImageConfig, wt: Worktree = tree(), opts: { base?: string; others?: Record<string, string> } = {}): Record<string, string> {
  const stages = conveyor({
    project: "p",
    image: img,
    worktree: wt,
    engine,
    buildDir: "/tmp",
    baseDigest: () => opts.base ?? BASE,
    imageResult: (name) => (opts.others?.[name] ? { digest: opts.others[name], ref: `x:${name}` } : undefined),
  });
  const out: Record<string, string> = {};
  let parent: string | undefined;
  for (const s of stages) out[s.name] = parent = stageDigest(s.kind, parent, s.inputs());
  return out;
}

/** Names of the stages whose digest differs between two plans. */
function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);
}

const ALL = ["from", "beforeInstall", "gitInstall", "install", "beforeSetup", "gitSetup", "setup", "gitLatest", "dockerInstructions"];
const after = (stage: string) => ALL.slice(ALL.indexOf(stage));

describe("stage digests", () => {
  test("are stable: the same inputs give the same digests, whatever the commit id", () => {
    expect(digests(image())).toEqual(digests(image()));
    expect(digests(image(), tree({}, "c1"))).toEqual(digests(image(), tree({}, "c2")));
    expect(Object.keys(digests(image()))).toEqual(ALL);
    for (const d of Object.values(digests(image()))) expect(d).toMatch(/^[0-9a-f]{64}$/);
  });

  test("from: the base's registry digest and fromCacheVersion change every stage", () => {
    expect(changed(digests(image()), digests(image(), tree(), { base: "sha256:" + "b".repeat(64) }))).toEqual(ALL);
    expect(changed(digests(image()), digests(image({ fromCacheVersion: "2" })))).toEqual(ALL);
  });

  test("fromImage: the parent image's last stage digest changes every stage", () => {
    const child = image({ from: undefined, fromImage: "base" });
    expect(changed(digests(child, tree(), { others: { base: "1".repeat(64) } }), digests(child, tree(), { others: { base: "2".repeat(64) } }))).toEqual(ALL);
  });

  test("user stages: commands and <stage>CacheVersion change that stage and the ones after it", () => {
    const base = digests(image());
    for (const stage of ["beforeInstall", "install", "beforeSetup", "setup"] as const) {
      const img = image();
      img.shell[stage] = [...img.shell[stage], "echo more"];
      expect(changed(base, digests(img))).toEqual(after(stage));
      const versioned = image();
      versioned.shell.stageCacheVersions[stage] = "2";
      expect(changed(base, digests(versioned))).toEqual(after(stage));
    }
  });

  test("cacheVersion changes every user stage", () => {
    const img = image();
    img.shell.cacheVersion = "2";
    expect(changed(digests(image()), digests(img))).toEqual(after("beforeInstall"));
  });

  test("git files: a dependency change rebuilds from its stage, any other file only the last file layer", () => {
    const base = digests(image());
    expect(changed(base, digests(image(), tree({ "deps.txt": "b9" })))).toEqual(after("gitInstall"));
    expect(changed(base, digests(image(), tree({ "conf/x": "b9" })))).toEqual(after("gitSetup"));
    expect(changed(base, digests(image(), tree({ "src/main.js": "b9" })))).toEqual(["gitLatest", "dockerInstructions"]);
    expect(changed(base, digests(image(), tree({ "src/new.js": "b9" })))).toEqual(["gitLatest", "dockerInstructions"]);
  });

  test("git files: destination and owner are part of the identity", () => {
    const base = digests(image());
    const moved = image();
    moved.git[0] = { ...moved.git[0], to: "/srv" };
    expect(changed(base, digests(moved))).toEqual(after("gitInstall"));
    const owned = image();
    owned.git[0] = { ...owned.git[0], owner: "app" };
    expect(changed(base, digests(owned))).toEqual(after("gitInstall"));
  });

  test("imports: the source image's digest and the import paths change the import stage and after", () => {
    const imp = { from: "builder", fromKind: "artifact" as const, add: "/out", to: "/app/bin", includePaths: [], excludePaths: [], stage: "afterInstall" as const, location: loc };
    const img = image({ imports: [imp] });
    const base = digests(img, tree(), { others: { builder: "1".repeat(64) } });
    expect(Object.keys(base)).toContain("importsAfterInstall");
    const order = Object.keys(base);
    const from = (s: string) => order.slice(order.indexOf(s));
    expect(changed(base, digests(img, tree(), { others: { builder: "2".repeat(64) } }))).toEqual(from("importsAfterInstall"));
    expect(changed(base, digests(image({ imports: [{ ...imp, to: "/opt" }] }), tree(), { others: { builder: "1".repeat(64) } }))).toEqual(from("importsAfterInstall"));
  });

  test("docker instructions change only the last stage", () => {
    const base = digests(image());
    expect(changed(base, digests(image({ docker: { volume: [], env: { A: "2" }, label: {}, expose: [], cmd: ["run"] } })))).toEqual(["dockerInstructions"]);
    expect(changed(base, digests(image({ docker: { volume: ["/data"], env: { A: "1" }, label: {}, expose: [], cmd: ["run"] } })))).toEqual(["dockerInstructions"]);
  });

  test("empty stages are skipped", () => {
    const img = image({ docker: { volume: [], env: {}, label: {}, expose: [] }, git: [] });
    img.shell.beforeSetup = [];
    expect(Object.keys(digests(img))).toEqual(["from", "beforeInstall", "install", "setup"]);
  });
});
