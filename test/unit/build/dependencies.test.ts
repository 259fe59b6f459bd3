import { describe, expect, test } from "vitest";
import type { DependencyConfig, ImageConfig } from "../../../src/config/types.ts";
import { conveyor } from "../../../src/build/conveyor.ts";
import { stageDigest } from "../../../src/build/digest.ts";
import type { Engine } from "../../../src/engine/types.ts";

const loc = { file: "werf.yaml", line: 1 };
const dep = (stage: DependencyConfig["stage"]): DependencyConfig => ({ image: "backend", stage, env: [{ name: "BACKEND", type: "ImageName" }, { name: "TAG", type: "ImageTag" }], location: loc });

function image(dependencies: DependencyConfig[]): ImageConfig {
  return {
    name: "app", kind: "image", from: "alpine", git: [], imports: [], dependencies, mounts: [], network: false, gitVisibility: "werf", location: loc,
    shell: { beforeInstall: ["a"], install: ["b"], beforeSetup: ["c"], setup: ["d"], stageCacheVersions: {} },
    docker: { volume: [], env: {}, label: {}, expose: [] },
  };
}

function stages(img: ImageConfig, backend = "1".repeat(64)) {
  const list = conveyor({
    project: "p", image: img, engine: {} as Engine, buildDir: "/tmp", baseDigest: () => `sha256:${"a".repeat(64)}`,
    imageResult: (name) => (name === "backend" ? { digest: backend, ref: `x:${backend}` } : undefined),
  });
  const digests: Record<string, string> = {};
  let parent: string | undefined;
  for (const s of list) digests[s.name] = parent = stageDigest(s.kind, parent, s.inputs());
  return { list, digests };
}

describe("werf dependencies", () => {
  test("the dependency's digest rebuilds from the first user stage that sees it", () => {
    const a = stages(image([dep("afterInstall")])).digests;
    const b = stages(image([dep("afterInstall")]), "2".repeat(64)).digests;
    expect(Object.keys(a).filter((k) => a[k] !== b[k])).toEqual(["beforeSetup", "setup"]);
    const none = stages(image([])).digests;
    expect(Object.keys(a).filter((k) => a[k] !== none[k])).toEqual(["beforeSetup", "setup"]);
  });

  test("commands get the values as build-time env, named where stages are kept; the stage needs the dependency", () => {
    const { list } = stages(image([dep("beforeInstall")]));
    const install = list.find((s) => s.name === "install")!;
    const change = install.change();
    if (change.kind !== "run") throw new Error("install must run commands");
    expect(change.env?.((d) => `registry.local:5000/shop:stage-${d}`)).toEqual([
      `BACKEND=registry.local:5000/shop:stage-${"1".repeat(64)}`, `TAG=stage-${"1".repeat(64)}`,
    ]);
    expect(install.needs?.()).toEqual(["1".repeat(64)]);
    const beforeInstall = list.find((s) => s.name === "beforeInstall")!.change();
    expect(beforeInstall.kind === "run" && beforeInstall.env).toBeFalsy();
  });
});
