import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileDedupe } from "../../../functions/runtime/file-dedupe.ts";
import { memoryDedupe, type DedupeStore } from "../../../functions/runtime/ports.ts";

function dedupeContract(name: string, make: () => Promise<DedupeStore>) {
  describe(`dedupe store contract: ${name}`, () => {
    it("claims a key exactly once, even when claims race", async () => {
      const d = await make();
      const wins = await Promise.all(Array.from({ length: 10 }, () => d.claim("1977")));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await d.claim("1978")).toBe(true);
    });

    it("a released key can be claimed again", async () => {
      const d = await make();
      await d.claim("1");
      await d.release("1");
      await d.release("never-claimed");
      expect(await d.claim("1")).toBe(true);
    });
  });
}

dedupeContract("memory", async () => memoryDedupe());
dedupeContract("file", async () => fileDedupe(join(await mkdtemp(join(tmpdir(), "slipway-dedupe-")), "d.json")));
