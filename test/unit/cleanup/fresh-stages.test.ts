import { describe, expect, it } from "vitest";
import { stageTag } from "../../../src/build/names.ts";
import { publishChain } from "../../support/synthetic-images.ts";
import { HOUR, run, threeBranches } from "./helpers.ts";

/** A build in flight: stages published on top of the deleted branch's (old) install stage, no image yet. */
async function buildInFlight(publishedAgoMs: number) {
  const world = await threeBranches();
  const published = new Date(Date.now() - publishedAgoMs);
  const fresh = await publishChain(world.registry, "demo", [{ name: "setup", published }, { name: "dockerInstructions", published }], world.stages.oldInstall);
  return { ...world, fresh };
}

const actionOf = (report: Awaited<ReturnType<typeof run>>, digest: string) => report.tags.find((t) => t.tag === stageTag(digest));

describe("stages published within the grace window", () => {
  it("survive with every stage they need, though no image names them yet", async () => {
    const { registry, stages, fresh } = await buildInFlight(5 * 60_000);
    const report = await run(registry);
    expect(actionOf(report, fresh[1].digest)).toMatchObject({ action: "keep", reason: expect.stringMatching(/^published 5m\d*s? ago, within the grace window \(2h\)$/) });
    expect(actionOf(report, fresh[0].digest)).toMatchObject({ action: "keep", reason: expect.stringContaining("published") });
    // The old install stage the fresh ones stand on stays too, because they need it.
    expect(actionOf(report, stages.oldInstall.digest)).toMatchObject({ action: "keep", reason: expect.stringContaining(`needed by stage-${fresh[0].digest.slice(0, 12)}`) });
    // The deleted branch's own stage, old and needed by nothing kept, still goes.
    expect(actionOf(report, stages.oldSetup.digest)?.action).toBe("delete");
    const left = await registry.listTags("demo");
    for (const s of [...fresh, stages.oldInstall, stages.from]) expect(left).toContain(stageTag(s.digest));
  });

  it("go once they are older than the grace window, or when the window is 0 (unsafe while builds run)", async () => {
    const old = await buildInFlight(3 * HOUR);
    const report = await run(old.registry);
    for (const s of [...old.fresh, old.stages.oldInstall]) expect(actionOf(report, s.digest)?.action).toBe("delete");

    const recent = await buildInFlight(60_000);
    const zero = await run(recent.registry, { graceMs: 0 });
    for (const s of recent.fresh) expect(actionOf(zero, s.digest)?.action).toBe("delete");
  });

  it("a publish date in the future keeps the stage too", async () => {
    const { registry, fresh } = await buildInFlight(-HOUR);
    const report = await run(registry, { dryRun: true });
    expect(actionOf(report, fresh[1].digest)).toMatchObject({ action: "keep", reason: expect.stringContaining("with a future date") });
  });
});
