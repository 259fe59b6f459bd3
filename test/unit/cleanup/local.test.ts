import { describe, expect, it } from "vitest";
import { CACHE_VERSION } from "../../../src/build/digest.ts";
import { LABELS, stageRef } from "../../../src/build/names.ts";
import { cleanupLocalStages } from "../../../src/cleanup/local.ts";
import type { Engine, LocalImage } from "../../../src/engine/types.ts";

function stage(digest: string, labels: Record<string, string> = {}): LocalImage {
  return {
    id: `sha256:${digest.slice(0, 12).padEnd(64, "0")}`,
    config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: { Labels: {
      [LABELS.project]: "demo", [LABELS.digest]: digest, [LABELS.cacheVersion]: CACHE_VERSION, ...labels,
    } } },
    repoDigests: [],
    repoTags: [stageRef("demo", digest), "demo/api:latest"],
  };
}

/** The two engine calls local cleanup makes; anything else would be a bug. */
function fakeEngine(images: LocalImage[]) {
  const removed: string[] = [];
  const engine = {
    listImages: async (labels: Record<string, string>) => images.filter((i) => Object.entries(labels).every(([k, v]) => i.config.config.Labels?.[k] === v)),
    removeImage: async (ref: string) => void removed.push(ref),
  } satisfies Partial<Engine>;
  return { engine: engine as Partial<Engine> as Engine, removed };
}

const d = (c: string) => c.repeat(64);

describe("stages cleanup local", () => {
  const images = [stage(d("a")), stage(d("b"), { [LABELS.cacheVersion]: "slipway-stage-v0" }), stage(d("c"), { [LABELS.gitCommit]: "f".repeat(40) }), stage(d("e"))];

  it("removes stages of another cache version, of vanished commits, and those the registry dropped", async () => {
    const { engine, removed } = fakeEngine(images);
    const report = await cleanupLocalStages({
      engine, project: "demo", improperCacheVersion: true, dryRun: false,
      missingCommits: async (shas) => new Set(shas.filter((s) => s.startsWith("f"))),
      registryStages: async () => new Set([d("a"), d("b"), d("c")]),
    });
    expect(removed).toEqual([stageRef("demo", d("b")), stageRef("demo", d("c")), stageRef("demo", d("e"))]);
    const reasons = Object.fromEntries(report.tags.map((t) => [t.tag[0], t.reason]));
    expect(reasons).toEqual({
      a: "current",
      b: `built with cache version slipway-stage-v0, current is ${CACHE_VERSION}`,
      c: `its git commit ${"f".repeat(40)} is no longer in the repository`,
      e: "the stages registry no longer has this stage",
    });
    expect(report.totals).toEqual({ kept: 1, deleted: 3, failed: 0 });
  });

  it("does only what the flags ask, and nothing on a dry run", async () => {
    const { engine, removed } = fakeEngine(images);
    const report = await cleanupLocalStages({ engine, project: "demo", improperCacheVersion: true, dryRun: true });
    expect(report.tags.filter((t) => t.action === "delete").map((t) => t.tag)).toEqual([d("b")]);
    expect(removed).toEqual([]);
  });
});
