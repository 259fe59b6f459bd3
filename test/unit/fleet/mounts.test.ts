import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mountsUnder } from "../../../src/fleet/local/mounts.ts";

let dir: string | undefined;
afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

describe("a killed local node's leftover mounts", () => {
  it("are the mount points at or under the node's root, deepest first, with octal escapes decoded", async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-mounts-"));
    const info = join(dir, "mountinfo");
    await writeFile(info, [
      "22 1 0:21 / / rw,relatime - overlay overlay rw",
      "90 22 0:45 / /tmp/home/nodes/n1/engine/data rw - ext4 /dev/sda rw",
      "91 90 0:46 / /tmp/home/nodes/n1/engine/data/overlay2/abc/merged rw - overlay overlay rw",
      "92 22 0:47 / /tmp/home/nodes/n10/engine/data rw - ext4 /dev/sda rw",
      "93 22 0:48 / /tmp/home/nodes/n1/work/with\\040space rw - tmpfs tmpfs rw",
      "",
    ].join("\n"));
    expect(await mountsUnder("/tmp/home/nodes/n1", info)).toEqual([
      "/tmp/home/nodes/n1/engine/data/overlay2/abc/merged",
      "/tmp/home/nodes/n1/work/with space",
      "/tmp/home/nodes/n1/engine/data",
    ]);
    expect(await mountsUnder("/tmp/home/nodes/n2", info)).toEqual([]);
    expect(await mountsUnder("/x", join(dir, "missing"))).toEqual([]);
  });
});
