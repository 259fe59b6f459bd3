import { describe, expect, test } from "vitest";
import { conveyor } from "../../../src/build/conveyor.ts";
import { stageDigest } from "../../../src/build/digest.ts";
import type { Toolchain } from "../../../src/ansible/toolchain.ts";
import type { AnsibleConfig, ImageConfig } from "../../../src/config/types.ts";
import type { Engine } from "../../../src/engine/types.ts";

const loc = { file: "werf.yaml", line: 1 };
const TOOLCHAIN: Toolchain = { dir: "/node/ansible", digest: `sha256:${"1".repeat(64)}` };

function ansible(over: Partial<AnsibleConfig> = {}): AnsibleConfig {
  return {
    beforeInstall: [],
    install: [{ task: { copy: { content: "x", dest: "/x" }, name: "c" }, module: "copy", location: { file: "werf.yaml", line: 8 } }],
    beforeSetup: [],
    setup: [{ task: { shell: "echo s" }, module: "shell", location: { file: "werf.yaml", line: 10 } }],
    stageCacheVersions: {},
    ...over,
  };
}

function image(a: AnsibleConfig): ImageConfig {
  return {
    name: "app", kind: "image", from: "registry.local/base:1", git: [],
    shell: { beforeInstall: [], install: [], beforeSetup: [], setup: [], stageCacheVersions: {} },
    ansible: a,
    docker: { volume: [], env: {}, label: {}, expose: [] },
    imports: [], dependencies: [], mounts: [], network: false, gitVisibility: "werf", location: loc,
  };
}

function digests(img: ImageConfig, toolchain: Toolchain = TOOLCHAIN): Record<string, string> {
  const stages = conveyor({
    project: "p", image: img, engine: {} as Engine, buildDir: "/tmp", ansibleToolchain: toolchain,
    baseDigest: () => `sha256:${"a".repeat(64)}`, imageResult: () => undefined,
  });
  const out: Record<string, string> = {};
  let parent: string | undefined;
  for (const s of stages) out[s.name] = parent = stageDigest(s.kind, parent, s.inputs());
  return out;
}

const changed = (a: Record<string, string>, b: Record<string, string>) => Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);

describe("ansible stage digests", () => {
  test("stable: the same tasks give the same digests, whatever the order of a task's keys or where it was written", () => {
    const reordered = ansible({ install: [{ task: { name: "c", copy: { dest: "/x", content: "x" } }, module: "copy", location: { file: "werf.yaml", line: 30 } }] });
    expect(digests(image(reordered))).toEqual(digests(image(ansible())));
    expect(Object.keys(digests(image(ansible())))).toEqual(["from", "install", "setup"]);
  });

  test("a task's change rebuilds its stage and the ones after it", () => {
    const other = ansible({ install: [{ task: { copy: { content: "y", dest: "/x" }, name: "c" }, module: "copy", location: loc }] });
    expect(changed(digests(image(ansible())), digests(image(other)))).toEqual(["install", "setup"]);
  });

  test("cacheVersion rebuilds every ansible stage; <stage>CacheVersion its own stage on", () => {
    const base = digests(image(ansible()));
    expect(changed(base, digests(image(ansible({ cacheVersion: "2" }))))).toEqual(["install", "setup"]);
    expect(changed(base, digests(image(ansible({ stageCacheVersions: { setup: "2" } }))))).toEqual(["setup"]);
  });

  test("another toolchain rebuilds every ansible stage", () => {
    const other = { ...TOOLCHAIN, digest: `sha256:${"2".repeat(64)}` };
    expect(changed(digests(image(ansible())), digests(image(ansible()), other))).toEqual(["install", "setup"]);
    expect(changed(digests(image(ansible())), digests(image(ansible()), { ...TOOLCHAIN, dir: "/elsewhere" }))).toEqual([]);
  });

  test("ansible tasks and shell commands never share a digest; the run mounts the toolchain read-only", () => {
    const img = image(ansible());
    const shell = { ...img, ansible: undefined, shell: { ...img.shell, install: [JSON.stringify([{ copy: { content: "x", dest: "/x" }, name: "c" }])] } };
    expect(digests(img).install).not.toBe(digests(shell).install);
    const install = conveyor({ project: "p", image: img, engine: {} as Engine, buildDir: "/tmp", ansibleToolchain: TOOLCHAIN, baseDigest: () => "sha256:x", imageResult: () => undefined })
      .find((s) => s.name === "install")!;
    const change = install.change();
    expect(change.kind).toBe("run");
    if (change.kind !== "run") return;
    expect(change.argv).toEqual(["/dev/.slipway/ansible/bin/ansible-playbook", "/dev/.slipway/ansible-work/playbook.yml"]);
    expect(change.binds[0]).toEqual({ source: "/node/ansible", target: "/dev/.slipway/ansible", readOnly: true });
    expect(install.inputs().map(([n]) => n)).toContain("ansibleToolchain");
  });
});
