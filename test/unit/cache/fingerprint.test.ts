import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EMPTY_FINGERPRINT, fingerprint } from "../../../src/cache/fingerprint.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-fp-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("cache change detection", () => {
  it("an empty or missing directory is the empty fingerprint", async () => {
    expect((await fingerprint(dir)).digest).toBe(EMPTY_FINGERPRINT);
    expect((await fingerprint(join(dir, "absent"))).digest).toBe(EMPTY_FINGERPRINT);
  });

  it("counts file bytes and is unchanged by touching files", async () => {
    await mkdir(join(dir, "pkgs"));
    await writeFile(join(dir, "pkgs", "a.tgz"), "aaaa");
    await writeFile(join(dir, "b"), "bb");
    const before = await fingerprint(dir);
    expect(before).toMatchObject({ bytes: 6, entries: 3 });
    await utimes(join(dir, "b"), new Date(0), new Date(0));
    expect((await fingerprint(dir)).digest).toBe(before.digest);
  });

  it("changes with content, new files, removed files, modes and links", async () => {
    await writeFile(join(dir, "a"), "one");
    const seen = new Set([(await fingerprint(dir)).digest]);
    const step = async (change: () => Promise<void>) => {
      await change();
      const now = (await fingerprint(dir)).digest;
      expect(seen.has(now)).toBe(false);
      seen.add(now);
    };
    await step(() => writeFile(join(dir, "a"), "two"));
    await step(() => writeFile(join(dir, "b"), ""));
    await step(() => chmod(join(dir, "b"), 0o600));
    await step(() => symlink("a", join(dir, "c")));
    await step(() => rm(join(dir, "c")).then(() => symlink("b", join(dir, "c"))));
    await step(() => rm(join(dir, "b")));
  });
});
