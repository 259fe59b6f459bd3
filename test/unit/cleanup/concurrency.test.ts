import { describe, expect, it } from "vitest";
import { stageTag } from "../../../src/build/names.ts";
import { ociDeleter } from "../../../src/cleanup/delete.ts";
import type { MemoryRegistry } from "../../../src/registry/memory.ts";
import { assertComplete, publishChain, publishImage } from "../../support/synthetic-images.ts";
import { assertImageWhole } from "../../integration/cleanup/scenario.ts";
import { refs, run, threeBranches } from "./helpers.ts";

/** Runs `hook` once, just before the n-th manifest DELETE reaches the registry. */
function beforeDelete(registry: MemoryRegistry, n: number, hook: () => Promise<void>) {
  const deleter = ociDeleter(registry, 1);
  const original = registry.deleteManifest.bind(registry);
  let count = 0;
  registry.deleteManifest = async (repo, digest) => {
    if (++count === n) await hook();
    return original(repo, digest);
  };
  return deleter;
}

describe("cleanup racing a build", () => {
  for (const when of [1, 2]) {
    it(`keeps what a kept image needs beyond a stage missing at plan time, once a build remakes it (${when === 1 ? "before" : "during"} stage deletion)`, async () => {
      const { registry, stages } = await threeBranches();
      const [mid, last] = await publishChain(registry, "demo", [{ name: "setup", key: "gap" }, { name: "dockerInstructions", key: "gap" }], stages.oldInstall);
      await publishImage(registry, "demo", { image: "api", tag: "gap", last });
      // An earlier cleanup deleted the middle stage; the plan's walk stops at the gap.
      await registry.deleteManifest("demo", mid.manifestDigest);
      // Deletes: 1 = image "old", then stages. The build of "gap" puts the stage back meanwhile.
      const deleter = beforeDelete(registry, when, async () => void (await publishChain(registry, "demo", [{ name: "setup", key: "gap" }], stages.oldInstall)));
      const report = await run(registry, { deleter, refs: refs([{ name: "main" }, { name: "feature-x" }, { name: "gap" }]) });
      expect(report.warnings.join("\n")).toContain(mid.digest);
      expect(await registry.headManifest("demo", stageTag(stages.oldInstall.digest))).toBeDefined();
      await assertImageWhole(registry, "demo", "demo/api", "gap");
      expect(await registry.headManifest("demo", stageTag(stages.oldSetup.digest))).toBeUndefined();
    });
  }

  it("keeps the stages of an image published after the plan, before stage deletion", async () => {
    const { registry, stages } = await threeBranches();
    // The racing build of branch "new" found old's install stage and built on it.
    const deleter = beforeDelete(registry, 1, async () => {
      const [next] = await publishChain(registry, "demo", [{ name: "setup", key: "new" }], stages.oldInstall);
      await publishImage(registry, "demo", { image: "api", tag: "new", last: next });
    });
    const report = await run(registry, { deleter });
    const install = report.tags.find((t) => t.tag === stageTag(stages.oldInstall.digest))!;
    expect(install).toMatchObject({ action: "keep", reason: "needed by demo/api:new, pushed during cleanup" });
    await assertComplete(registry, "demo/api", "new");
    expect(await registry.headManifest("demo", stageTag(stages.oldInstall.digest))).toBeDefined();
    expect(await registry.headManifest("demo", stageTag(stages.from.digest))).toBeDefined();
  });

  it("puts back a deleted stage that an image pushed during stage deletion needs", async () => {
    const { registry, stages } = await threeBranches();
    // Deletes: 1 = image "old", 2 and 3 = its two stages. Publish between the stage deletes.
    const deleter = beforeDelete(registry, 3, async () => {
      await publishImage(registry, "demo", { image: "api", tag: "late", last: stages.oldSetup });
    });
    const report = await run(registry, { deleter });
    for (const s of [stages.oldSetup, stages.oldInstall, stages.from]) {
      expect(await registry.headManifest("demo", stageTag(s.digest)), s.digest).toBeDefined();
    }
    expect(report.tags.filter((t) => t.reason.startsWith("restored:")).length).toBeGreaterThan(0);
    await assertComplete(registry, "demo/api", "late");
    for (const t of await registry.listTags("demo")) await assertComplete(registry, "demo", t);
  });

  it("skips a tag that moved after the plan, and a manifest a new tag shares", async () => {
    const { registry, stages } = await threeBranches();
    const deleter = beforeDelete(registry, 1, async () => undefined);
    const original = registry.findTags.bind(registry);
    let calls = 0;
    registry.findTags = async (repo, tags) => {
      // The second findTags on demo/api is the re-read before deletion: move "old" first.
      if (repo === "demo/api" && ++calls === 2) await publishImage(registry, "demo", { image: "api", tag: "old", last: stages.fxInstall });
      return original(repo, tags);
    };
    const report = await run(registry, { deleter });
    expect(report.tags.find((t) => t.tag === "old")).toMatchObject({ action: "keep", reason: expect.stringContaining("tag moved after the plan") });
    await assertComplete(registry, "demo/api", "old");
  });

  it("skips deleting a manifest that a tag written after the plan also carries (a no-change build retagging it)", async () => {
    const { registry } = await threeBranches();
    const original = registry.findTags.bind(registry);
    let calls = 0;
    registry.findTags = async (repo, tags) => {
      if (repo === "demo/api" && ++calls === 2) await registry.tagManifest("demo/api", "retagged", (await registry.getManifest("demo/api", "old"))!);
      return original(repo, tags);
    };
    const report = await run(registry);
    expect(report.tags.find((t) => t.tag === "old")).toMatchObject({ action: "keep", reason: expect.stringContaining("tag retagged, written after the plan") });
    await assertComplete(registry, "demo/api", "retagged");
    expect(report.totals.deleted).toBe(0);
  });

  it("keeps the stages of an image whose delete failed, and exits with failures counted", async () => {
    const { registry, stages } = await threeBranches();
    const original = registry.deleteManifest.bind(registry);
    registry.deleteManifest = async (repo, digest) => {
      if (repo === "demo/api") throw new Error("503 try later");
      return original(repo, digest);
    };
    const report = await run(registry);
    expect(report.tags.find((t) => t.tag === "old")).toMatchObject({ action: "keep", reason: expect.stringContaining("delete failed: 503 try later") });
    expect(report.tags.find((t) => t.tag === stageTag(stages.oldSetup.digest))?.reason).toBe("needed by demo/api:old, which was not deleted");
    expect(report.totals).toMatchObject({ deleted: 0, failed: 1 });
  });
});
