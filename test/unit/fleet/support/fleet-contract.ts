import { describe, expect, it } from "vitest";
import type { Fleet } from "../../../../src/fleet/types.ts";

export interface FleetUnderTest extends AsyncDisposable {
  fleet: Fleet;
  /** Lets a provider bring a node to its steady state (EC2: the instance starts; local: the engine is up). */
  settle?(jobId: number): Promise<void>;
}

const spec = (jobId: number) => ({ jobId, projectId: 7, expiresAt: new Date(Date.now() + 10 * 60_000) });

/** The behaviour every fleet provider promises; run against each implementation. */
export function fleetContract(name: string, make: () => Promise<FleetUnderTest>, timeout = 60_000): void {
  describe(`fleet contract: ${name}`, () => {
    it("launch returns a live record of the job, and list shows it", async () => {
      await using t = await make();
      const node = await t.fleet.launch(spec(101));
      expect(node).toMatchObject({ jobId: 101, projectId: 7 });
      expect(["launching", "running"]).toContain(node.state);
      expect(Number.isNaN(Date.parse(node.launchedAt))).toBe(false);
      await t.settle?.(101);
      const listed = (await t.fleet.list()).find((n) => n.id === node.id);
      expect(listed).toMatchObject({ id: node.id, jobId: 101, projectId: 7 });
      expect(listed?.state).not.toBe("terminated");
    }, timeout);

    it("launch is idempotent per job id", async () => {
      await using t = await make();
      const a = await t.fleet.launch(spec(102));
      const b = await t.fleet.launch(spec(102));
      expect(b.id).toBe(a.id);
      expect((await t.fleet.list()).filter((n) => n.jobId === 102 && n.state !== "terminated")).toHaveLength(1);
    }, timeout);

    it("terminate ends the node, and terminating again or an unknown id succeeds", async () => {
      await using t = await make();
      const node = await t.fleet.launch(spec(103));
      await t.settle?.(103);
      await t.fleet.terminate(node.id, "test");
      await t.fleet.terminate(node.id, "test");
      await t.fleet.terminate("i-0000000000000dead", "test");
      expect((await t.fleet.list()).find((n) => n.id === node.id)?.state ?? "terminated").toBe("terminated");
    }, timeout);

    it("mark records when the reaper first found the node unregistered", async () => {
      await using t = await make();
      const node = await t.fleet.launch(spec(104));
      await t.fleet.mark(node.id);
      expect((await t.fleet.list()).find((n) => n.id === node.id)?.markedAt).toBeDefined();
    }, timeout);
  });
}
