import { describe, expect, test } from "vitest";
import { chainsOf, runChains } from "../../../src/build/chains.ts";
import type { PlannedStage } from "../../../src/build/plan.ts";

/** Stages by spec: `name` starts a chain when `root`, `needs` names other stages. */
function stages(spec: [name: string, root: boolean, needs?: string[]][]): PlannedStage[] {
  return spec.map(([name, root, needs]) => ({
    name, digest: name, inputs: [], ref: name,
    stage: { name, kind: "k", root, isEmpty: () => false, inputs: () => [], change: () => ({ kind: "config", apply: (c: unknown) => c }), ...(needs ? { needs: () => needs } : {}) },
  }) as unknown as PlannedStage);
}

/** A gate opened from outside: a stage that waits on one proves another ran meanwhile. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const MULTI = stages([["a1", true], ["a2", false], ["b1", true], ["b2", false], ["c1", true, ["a2"]], ["c2", false, ["b2"]]]);

describe("chains of an image's stages", () => {
  test("a chain starts at each root; it is after the chains it needs", () => {
    expect(chainsOf(MULTI)).toEqual([{ stages: [0, 1], after: [] }, { stages: [2, 3], after: [] }, { stages: [4, 5], after: [0, 1] }]);
    expect(chainsOf(stages([["from", true], ["install", false], ["setup", false]]))).toEqual([{ stages: [0, 1, 2], after: [] }]);
  });

  test("independent chains run at the same time; a dependent one only after both; results in stage order", async () => {
    const bStarted = gate();
    const log: string[] = [];
    const results = await runChains(MULTI, 2, async (i) => {
      const name: string = MULTI[i].name;
      // a2 cannot finish until b1 has started: a sequential walk would never get there.
      if (name === "a2") await bStarted.opened;
      if (name === "b1") bStarted.open();
      log.push(name);
      return name.toUpperCase();
    });
    expect(results).toEqual(["A1", "A2", "B1", "B2", "C1", "C2"]);
    expect(log.indexOf("c1")).toBeGreaterThan(Math.max(log.indexOf("a2"), log.indexOf("b2")));
  });

  test("at most `limit` chains at once", async () => {
    const four = stages([["a", true], ["b", true], ["c", true], ["d", true]]);
    let running = 0;
    let most = 0;
    const step = async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    };
    await runChains(four, 2, step);
    expect(most).toBe(2);
    most = 0;
    await runChains(four, 1, step);
    expect(most).toBe(1);
  });

  test("a failure: the other chains finish, dependent chains never start, the first failure in stage order is thrown", async () => {
    const ran: string[] = [];
    const run = runChains(MULTI, 3, async (i) => {
      const name: string = MULTI[i].name;
      ran.push(name);
      if (name === "a2") throw new Error("a2 failed");
      return name;
    });
    await expect(run).rejects.toThrow("a2 failed");
    expect(ran.sort()).toEqual(["a1", "a2", "b1", "b2"]);
  });
});

describe("a chain whose stages let the next start early", () => {
  test("a stage that fails after letting the next start stops the chain: nothing further starts", async () => {
    const chain = stages([["s0", true], ["s1", false], ["s2", false], ["s3", false]]);
    const s0Failed = gate();
    const ran: string[] = [];
    const run = runChains(chain, 1, async (i, ready) => {
      ran.push(chain[i].name);
      if (i === 0) {
        ready();
        await new Promise((r) => setTimeout(r, 5));
        s0Failed.open();
        throw new Error("s0 failed while uploading");
      }
      if (i === 1) {
        await s0Failed.opened;
        await new Promise((r) => setTimeout(r, 5));
        ready();
        return;
      }
      ready();
    });
    await expect(run).rejects.toThrow(/s0 failed/);
    expect(ran).toEqual(["s0", "s1"]);
  });
});
