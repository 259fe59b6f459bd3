import { describe, expect, test } from "vitest";
import { sha256Digest } from "../../../src/registry/digest.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { tallied } from "../../../src/registry/tally.ts";

const blob = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe("per-operation byte tallies", () => {
  test("operations running at once each count only their own blob bytes; the registry's totals count all", async () => {
    const registry = new MemoryRegistry();
    const a = blob(1000, 1);
    const b = blob(3000, 2);
    const pause = () => new Promise((r) => setTimeout(r, 5));
    const [ta, tb] = await Promise.all([
      tallied(registry.stats, async () => {
        await pause();
        await registry.pushBlob("r", sha256Digest(a), a);
        await pause();
        await registry.getBlob("r", sha256Digest(a));
      }),
      tallied(registry.stats, async () => {
        await registry.pushBlob("r", sha256Digest(b), b);
        await pause();
        await registry.getBlob("r", sha256Digest(b));
      }),
    ]);
    expect(ta.tally).toEqual({ pulled: 1000, pushed: 1000 });
    expect(tb.tally).toEqual({ pulled: 3000, pushed: 3000 });
    expect(registry.stats.bytesPushed).toBe(4000);
    expect(registry.stats.bytesPulled).toBe(4000);
  });

  test("a tally counts one registry only, and an inner tally's bytes count in the outer one too", async () => {
    const mine = new MemoryRegistry();
    const other = new MemoryRegistry();
    const x = blob(10, 3);
    const outer = await tallied(mine.stats, async () => {
      await other.pushBlob("r", sha256Digest(x), x);
      const inner = await tallied(mine.stats, () => mine.pushBlob("r", sha256Digest(x), x));
      return inner.tally;
    });
    expect(outer.value).toEqual({ pulled: 0, pushed: 10 });
    expect(outer.tally).toEqual({ pulled: 0, pushed: 10 });
  });
});
