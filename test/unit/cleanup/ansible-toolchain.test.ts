import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publishToolchain } from "../../../src/ansible/publish.ts";
import { toolchainTag } from "../../../src/ansible/tag.ts";
import { toolchainScript } from "../../../src/ansible/toolchain.ts";
import { ociDeleter } from "../../../src/cleanup/delete.ts";
import type { TagDeleter } from "../../../src/cleanup/types.ts";
import type { MemoryRegistry } from "../../../src/registry/memory.ts";
import { run as exec } from "../../../src/util/process.ts";
import { publishChain, publishImage } from "../../support/synthetic-images.ts";
import { scratchDir } from "../../support/services.ts";
import { HOUR, run, threeBranches } from "./helpers.ts";

/** A (tiny) toolchain directory published under `recipe`, `ageMs` ago; returns its digest. */
async function toolchain(registry: MemoryRegistry, recipe: string, ageMs: number): Promise<string> {
  const dir = await scratchDir("slipway-tc-");
  await mkdir(join(dir, "bin"));
  await writeFile(join(dir, "bin", "ansible-playbook"), `#!/bin/sh\n# ${recipe}\n`, { mode: 0o755 });
  const digest = (await exec(toolchainScript(), ["--digest", dir])).stdout.trim();
  await publishToolchain(registry, "demo", { dir, digest, recipe }, new Date(Date.now() - ageMs));
  return digest;
}

const recipe = (c: string) => c.repeat(32);

describe("cleanup of the ansible toolchain image", () => {
  it("keeps a toolchain a kept stage was built with and a recent one; deletes one only deleted stages used", async () => {
    const { registry, stages } = await threeBranches();
    const used = await toolchain(registry, recipe("a"), 5 * HOUR);
    const gone = await toolchain(registry, recipe("b"), 5 * HOUR);
    const recent = await toolchain(registry, recipe("c"), 0);
    // main's image gets an ansible setup stage with the first toolchain; the deleted branch old one with the second.
    const [mainSetup] = await publishChain(registry, "demo", [{ name: "setup", key: "main-setup", inputs: { ansibleToolchain: used } }], stages.mainInstall);
    await publishImage(registry, "demo", { image: "api", tag: "main", last: mainSetup, created: new Date(Date.now() - 5 * HOUR) });
    const [oldBeforeSetup] = await publishChain(registry, "demo", [{ name: "beforeSetup", key: "old-ansible", inputs: { ansibleToolchain: gone } }], stages.oldInstall);
    await publishImage(registry, "demo", { image: "api", tag: "old", last: oldBeforeSetup, created: new Date(Date.now() - 5 * HOUR) });

    const report = await run(registry);
    const of = (r: string) => report.tags.find((t) => t.tag === toolchainTag(r));
    expect(of(recipe("a"))).toMatchObject({ kind: "toolchain", action: "keep", repository: "demo", reason: `used by kept stage stage-${mainSetup.digest.slice(0, 12)}` });
    expect(of(recipe("b"))).toMatchObject({ kind: "toolchain", action: "delete", reason: "no kept stage was built with this toolchain" });
    expect(of(recipe("c"))).toMatchObject({ kind: "toolchain", action: "keep", reason: expect.stringContaining("within the grace window") });
    // Listed after images, stages and caches.
    expect(report.tags.slice(-3).map((t) => t.kind)).toEqual(["toolchain", "toolchain", "toolchain"]);
    const tags = await registry.listTags("demo");
    expect(tags).toContain(toolchainTag(recipe("a")));
    expect(tags).toContain(toolchainTag(recipe("c")));
    expect(tags).not.toContain(toolchainTag(recipe("b")));
    expect(recent).toMatch(/^sha256:/);
  });

  it("a toolchain is never an image: without stages that use it, --grace 0s deletes it, the keep list keeps it", async () => {
    const { registry } = await threeBranches();
    await toolchain(registry, recipe("d"), 0);
    await toolchain(registry, recipe("e"), 0);
    const report = await run(registry, { graceMs: 0, keep: [{ pattern: toolchainTag(recipe("e")), matches: (t) => t === toolchainTag(recipe("e")) }] });
    expect(report.tags.find((t) => t.tag === toolchainTag(recipe("d")))).toMatchObject({ kind: "toolchain", action: "delete" });
    expect(report.tags.find((t) => t.tag === toolchainTag(recipe("e")))).toMatchObject({ kind: "toolchain", action: "keep", reason: expect.stringContaining("keep list") });
    expect(report.tags.filter((t) => t.kind === "image" && t.tag.startsWith("ansible-toolchain-"))).toEqual([]);
  });

  it("a stage pushed during the cleanup that was built with a doomed toolchain keeps it", async () => {
    const { registry, stages } = await threeBranches();
    const late = await toolchain(registry, recipe("f"), 5 * HOUR);
    const inner = ociDeleter(registry);
    let pushed = false;
    // A build pushes an ansible stage while the cleanup deletes images.
    const deleter: TagDeleter = {
      unit: inner.unit,
      async delete(repository, items, onProgress) {
        if (!pushed) {
          pushed = true;
          await publishChain(registry, "demo", [{ name: "setup", key: "late", inputs: { ansibleToolchain: late } }], stages.mainInstall);
        }
        return inner.delete(repository, items, onProgress);
      },
    };
    const report = await run(registry, { deleter });
    expect(pushed).toBe(true);
    expect(report.tags.find((t) => t.tag === toolchainTag(recipe("f")))).toMatchObject({ action: "keep", reason: expect.stringMatching(/^used by stage-[0-9a-f]{64}, pushed during cleanup/) });
    expect(await registry.listTags("demo")).toContain(toolchainTag(recipe("f")));
  });
});
