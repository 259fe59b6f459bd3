import { describe, expect, test } from "vitest";
import { conveyor } from "../../../src/build/conveyor.ts";
import { CACHE_VERSION, stageDigest } from "../../../src/build/digest.ts";
import type { Worktree } from "../../../src/build/git.ts";
import type { ImageConfig, ImportConfig } from "../../../src/config/types.ts";
import type { Engine } from "../../../src/engine/types.ts";

/*
 * Golden digests: fixed inputs, fixed expected digests, for every stage kind. Every node
 * finds every stage in the registry by these digests, so an accidental change to their
 * encoding (input names, order, JSON shape, the kind strings, placement of git files)
 * silently invalidates every cache. A deliberate change updates these values in the same
 * commit, and bumps CACHE_VERSION when the meaning of a stage changed.
 */

const loc = { file: "slipway.yaml", line: 1 };
const BASE = "sha256:" + "a".repeat(64);
const BUILDER = "1".repeat(64);

const imp = (stage: ImportConfig["stage"], to: string): ImportConfig => ({
  from: "builder", fromKind: "artifact", add: "/out", to, includePaths: [], excludePaths: [], stage, location: loc,
});

function image(over: Partial<ImageConfig> = {}): ImageConfig {
  return {
    name: "app",
    kind: "image",
    from: "registry.local/base:1",
    fromCacheVersion: "fcv",
    git: [{ add: "/", to: "/app", includePaths: [], excludePaths: ["*.md"], owner: "app", stageDependencies: { install: ["deps.txt"], beforeSetup: ["conf/**"], setup: ["setup.sh"] }, location: loc }],
    shell: { beforeInstall: ["echo bi"], install: ["echo i"], beforeSetup: ["echo bs"], setup: ["echo s"], cacheVersion: "cv", stageCacheVersions: { install: "2" } },
    docker: { volume: ["/data"], env: { A: "1" }, label: { l: "v" }, expose: ["80/tcp"], workdir: "/app", user: "app", entrypoint: ["/bin/sh"], cmd: ["run"] },
    imports: [imp("beforeInstall", "/bi"), imp("afterInstall", "/ai"), imp("beforeSetup", "/bs"), imp("afterSetup", "/as")],
    dependencies: [],
    mounts: [],
    network: false,
    gitVisibility: "strict",
    location: loc,
    ...over,
  };
}

const worktree: Worktree = {
  root: "/nonexistent",
  commit: "c1",
  files: [
    { path: "deps.txt", mode: "100644", blob: "b1" },
    { path: "conf/app.ini", mode: "100644", blob: "b2" },
    { path: "setup.sh", mode: "100755", blob: "b3" },
    { path: "src/main.js", mode: "100644", blob: "b4" },
    { path: "README.md", mode: "100644", blob: "b5" },
    { path: "link", mode: "120000", blob: "b6" },
  ],
};

function digests(img: ImageConfig): Record<string, string> {
  const stages = conveyor({
    project: "golden",
    image: img,
    worktree,
    engine: {} as Engine,
    buildDir: "/tmp",
    baseDigest: () => BASE,
    imageResult: (name) => (name === "builder" || name === "base" ? { digest: BUILDER, ref: `x:${name}` } : undefined),
  });
  const out: Record<string, string> = {};
  let parent: string | undefined;
  for (const s of stages) out[s.name] = parent = stageDigest(s.kind, parent, s.inputs());
  return out;
}

describe("golden stage digests", () => {
  test("the encoding itself", () => {
    expect(CACHE_VERSION).toBe("slipway-stage-v1");
    expect(stageDigest("user", undefined, [["commands", "echo"]])).toMatchInlineSnapshot(`"8aee93021a49984f06dcddd52e363739d1a2a586de79be241e3abd8d107ea459"`);
  });

  test("every stage kind of a full image", () => {
    expect(digests(image())).toMatchInlineSnapshot(`
      {
        "beforeInstall": "68fcb08ba2d063a8cb09460c79a7f80e7a94b3f93673ee4c37fe8616b8a55e1f",
        "beforeSetup": "11e5dd530f9a85f9dcb1410849e777ead0935aafeafb0a2b2c1b92dfee8247b3",
        "dockerInstructions": "e1120d0838e257fbfc099ce4bc991d837166719de2e847e749aa31fb53de0a02",
        "from": "12c16cb7d143aeb77b62d06fbce842fe66389355731929a761c44bf3566b34b7",
        "gitBeforeSetup": "bc7fb485a3f5c584003b6582ce79f80d84cba0e0182f47e2adcc67ca98ca074e",
        "gitInstall": "d34f3f40394465166cf2b2c96a7fbfafeb4d75dd01d005cec9623c120a2e79f7",
        "gitLatest": "2950f597de7f6930c2a32ef419f97362234bdf330e2ce3b098d41d0e0b825f1c",
        "gitSetup": "2b246ca7928975a0b6b768098fe0168ba7cfdc5a1692f55fd00add18e65db9b3",
        "importsAfterInstall": "81a5f77bd2c9618e17cabf29609a4ab9428919e28cd55ac102d0e56709bb12f2",
        "importsAfterSetup": "9bf338697de4d379be097c1cb5a8a12c0f6b85fe18d9ba6cd4b3a56273778af9",
        "importsBeforeInstall": "565ddcad7d9bc82e5f7c9e0a6a83a86fa7ff977eb8bd9b6b6092437eb6917ef9",
        "importsBeforeSetup": "1d63f6d066ed714f0279275d93abc8cdff421b76e9ff80dc49cd5714fd744201",
        "install": "8df48056caf61571d30be403ea6e6a66fe4382d36e66943b41139769f33c7929",
        "setup": "2f1cd825f633fa6e3c3665ebb715bf27b90fbfaf78a2bd12731c12b14d69b9fe",
      }
    `);
  });

  test("werf's file visibility (gitArchive, git patches, gitLatest)", () => {
    expect(digests(image({ gitVisibility: "werf", imports: [] }))).toMatchInlineSnapshot(`
      {
        "beforeInstall": "68fcb08ba2d063a8cb09460c79a7f80e7a94b3f93673ee4c37fe8616b8a55e1f",
        "beforeSetup": "656d8019b1239b203179bee3c82ef5695afe1760f522489df9cc8879675149c6",
        "dockerInstructions": "f5d368d593fed668051eccfb6d5d577c6bb92f01fb0ca1cf8636ee387ee3bd1e",
        "from": "12c16cb7d143aeb77b62d06fbce842fe66389355731929a761c44bf3566b34b7",
        "gitArchive": "cbdebc38417bbfa32dbc15c75bdace2cda20b2b74544f155dc5f681856ef9e8f",
        "gitLatest": "34684afe99fa5517b7e2540d6a46b6c7caa6f418f1486bbd54018206f01ac9fa",
        "install": "13fac573591363611fde8b1e7696224e366a56eb1798f63c4c07cc59cd16382e",
        "setup": "6aa426c0f2a3c8bc53319c91f6eb83f5e97ebc2d753f5b442900f4eaa6570dcd",
      }
    `);
  });

  test("fromImage", () => {
    expect(digests(image({ from: undefined, fromCacheVersion: undefined, fromImage: "base", imports: [] }))).toMatchInlineSnapshot(`
      {
        "beforeInstall": "b4f22957980f974dcdf0b756e92b34dc281a03e8e25cc37c50faf52757110f7b",
        "beforeSetup": "953ba2c5ff239415c62d5f679ab345a66201b223d36ce0a7bfd1e8dc00493b52",
        "dockerInstructions": "63f0cd1be6429c79e6af82626ffcf65a0b32a84c61e05e25b82a17349f474c3c",
        "from": "29bd164ad57bbbe55ce3b62094eb30b54bd083b94d7b5203e486322247c5b435",
        "gitBeforeSetup": "dd4d2d9d708482ef001e75fdba41c54cfe2dc30be0cb70afd0628b61159edab3",
        "gitInstall": "7bff51d3e1e5a1ba2cb0c1ec21b7f58e9d7bcf7ded6c97417875c43d20809b7f",
        "gitLatest": "77d58f2c5b9d22b510cc77efc90d19724b535def0609088c2691c47d487adf4d",
        "gitSetup": "64deb859b83299b35bada733d0addd77a522f6af71692a2022cc9344b70a1d34",
        "install": "a93e0b14e481113ad323aecf01a337ed95a235a7a07371d7c525e156f4c4e2bb",
        "setup": "f0a4d505b80fffe4a5245387f841df21ac616aff092e0f19380cb8cc2a3546d2",
      }
    `);
  });
});
