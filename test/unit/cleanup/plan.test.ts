import { describe, expect, it } from "vitest";
import { stageTag } from "../../../src/build/names.ts";
import { policyFromValue } from "../../../src/cleanup/policy.ts";
import { assertComplete, publishImage } from "../../support/synthetic-images.ts";
import { HOUR, kube, refs, run, threeBranches } from "./helpers.ts";

const find = (report: Awaited<ReturnType<typeof run>>, tag: string) => {
  const t = report.tags.find((x) => x.tag === tag);
  if (!t) throw new Error(`no ${tag} in report`);
  return t;
};

describe("cleanup repo on an in-memory registry", () => {
  it("deletes a deleted branch's image and its unique stages, keeps shared and living ones", async () => {
    const { registry, stages } = await threeBranches();
    const report = await run(registry);
    expect(find(report, "old")).toMatchObject({ action: "delete", reason: expect.stringContaining("no git branch or tag") });
    expect(find(report, stageTag(stages.oldSetup.digest)).action).toBe("delete");
    expect(find(report, stageTag(stages.oldInstall.digest)).action).toBe("delete");
    expect(find(report, stageTag(stages.from.digest))).toMatchObject({ action: "keep", reason: expect.stringContaining("needed by kept image") });
    expect(find(report, "main").reason).toContain("branch main exists");
    expect(report.totals).toEqual({ kept: 5, deleted: 3, failed: 0 });
    expect(await registry.listTags("demo/api")).toEqual(["feature-x", "main"]);
    expect(await registry.listTags("demo")).toHaveLength(3);
    await assertComplete(registry, "demo/api", "main");
    for (const t of await registry.listTags("demo")) await assertComplete(registry, "demo", t);
  });

  it("dry run changes nothing and gives every tag a reason", async () => {
    const { registry } = await threeBranches();
    const before = [await registry.listTags("demo"), await registry.listTags("demo/api")];
    const report = await run(registry, { dryRun: true });
    expect(report.totals.deleted).toBe(3);
    expect(report.tags.every((t) => t.reason.length > 0 && /^sha256:/.test(t.digest))).toBe(true);
    expect([await registry.listTags("demo"), await registry.listTags("demo/api")]).toEqual(before);
  });

  it("keeps an image Kubernetes runs, by tag or by digest, with its stages", async () => {
    const { registry, stages, oldImage } = await threeBranches();
    for (const image of ["registry.test:5000/demo/api:old", `registry.test:5000/demo/api@${oldImage.digest}`]) {
      const report = await run(registry, { kube: kube([image]), dryRun: true });
      expect(find(report, "old").reason).toContain("used in Kubernetes: ctx/prod/Deployment/web");
      expect(find(report, stageTag(stages.oldSetup.digest)).action).toBe("keep");
      expect(report.totals.deleted).toBe(0);
    }
  });

  it("ignores cluster images of other registries and treats loopback names as one host", async () => {
    const { registry } = await threeBranches();
    const report = await run(registry, { kube: kube(["other.test:5000/demo/api:old", "nginx:1"]), dryRun: true });
    expect(find(report, "old").action).toBe("delete");
  });

  it("keeps images pushed within the grace window; --grace 0 disables it", async () => {
    const { registry } = await threeBranches({ oldAgeMs: 10 * 60_000 });
    expect(find(await run(registry, { dryRun: true }), "old").reason).toMatch(/pushed 10m ago, within the grace window \(2h\)/);
    expect(find(await run(registry, { dryRun: true, graceMs: 0 }), "old").action).toBe("delete");
  });

  it("keeps tags in the keep list", async () => {
    const { registry } = await threeBranches();
    const report = await run(registry, { dryRun: true, policy: policyFromValue({ keep: ["/^ol/"] }) });
    expect(find(report, "old").reason).toBe("in the keep list (/^ol/)");
  });

  it("never deletes by digest a manifest a kept tag shares", async () => {
    const { registry, stages } = await threeBranches();
    await publishImage(registry, "demo", { image: "api", tag: "old", last: stages.mainInstall, created: new Date(0) });
    await publishImage(registry, "demo", { image: "api", tag: "main", last: stages.mainInstall, created: new Date(0) });
    const report = await run(registry);
    expect(find(report, "old")).toMatchObject({ action: "keep", reason: expect.stringContaining("same manifest as kept tag main") });
    expect(await registry.listTags("demo/api")).toContain("main");
  });

  it("on a registry that deletes by tag (ECR), a tag sharing a kept manifest can go", async () => {
    const { registry, stages } = await threeBranches();
    await publishImage(registry, "demo", { image: "api", tag: "old", last: stages.mainInstall, created: new Date(0) });
    await publishImage(registry, "demo", { image: "api", tag: "main", last: stages.mainInstall, created: new Date(0) });
    const byTag = { unit: "tag" as const, delete: async () => [] };
    const report = await run(registry, { dryRun: true, deleter: byTag });
    expect(find(report, "old").action).toBe("delete");
    expect(find(report, "main").action).toBe("keep");
  });

  it("applies keep policies: limit.last over branches by commit time, imagesPerReference", async () => {
    const { registry } = await threeBranches();
    const now = Date.now();
    const policy = policyFromValue({ keepPolicies: [{ references: { branch: "/.*/", limit: { last: 1 } } }] });
    const living = refs([{ name: "main", time: new Date(now) }, { name: "feature-x", time: new Date(now - 5 * HOUR) }]);
    const report = await run(registry, { dryRun: true, policy, refs: living });
    expect(find(report, "main").action).toBe("keep");
    expect(find(report, "feature-x")).toMatchObject({ action: "delete", reason: "branch feature-x is outside every matching policy's limit" });
    const unmatched = policyFromValue({ keepPolicies: [{ references: { tag: "/^v/" } }] });
    expect(find(await run(registry, { dryRun: true, policy: unmatched, refs: living }), "feature-x").reason).toContain("no keep policy covers it");
  });

  it("counts images per reference by manifest, over the ref's commit history", async () => {
    const { registry, stages } = await threeBranches();
    const shas = ["a", "b", "c"].map((c) => c.repeat(40));
    for (const [i, sha] of shas.entries()) {
      await publishImage(registry, "demo", { image: "api", tag: sha.slice(0, 10), last: stages.fxInstall, created: new Date(Date.now() - (i + 4) * HOUR) });
    }
    // The branch tag and the newest commit tag are one build (one manifest).
    const newest = await registry.getManifest("demo/api", shas[0].slice(0, 10));
    await registry.tagManifest("demo/api", "feature-x", newest!);
    const policy = policyFromValue({ keepPolicies: [{ references: { branch: "/.*/" }, imagesPerReference: { last: 2 } }] });
    const report = await run(registry, { dryRun: true, policy, refs: refs([{ name: "main" }, { name: "feature-x", commit: shas[0], history: shas }]) });
    const action = (tag: string) => find(report, tag).action;
    expect([action("feature-x"), action(shas[0].slice(0, 10)), action(shas[1].slice(0, 10)), action(shas[2].slice(0, 10))]).toEqual(["keep", "keep", "keep", "delete"]);
    expect(find(report, shas[2].slice(0, 10)).reason).toContain("images-per-reference limit");
  });

  it("attributes commit-sha tags to the refs whose head they are", async () => {
    const { registry, stages } = await threeBranches();
    const sha = "0123456789abcdef0123456789abcdef01234567";
    await publishImage(registry, "demo", { image: "api", tag: sha.slice(0, 8), last: stages.fxInstall, created: new Date(0) });
    const report = await run(registry, { dryRun: true, refs: refs([{ name: "main" }, { name: "feature-x", commit: sha }]) });
    expect(find(report, sha.slice(0, 8)).reason).toContain("branch feature-x exists");
  });
});
