import { describe, expect, test } from "vitest";
import { Resources } from "../../../bench/lib/resources.ts";

describe("bench resources", () => {
  test("close releases newest first, also what was still starting, and refuses new starts", async () => {
    const released: string[] = [];
    const r = new Resources();
    r.add("registry", async () => void released.push("registry"));
    let finish!: (v: string) => void;
    const slow = r.start("engine", () => new Promise<string>((resolve) => (finish = resolve)), async (v) => void released.push(v));
    const closed = r.close();
    await expect(r.start("next engine", async () => "never", async () => {})).rejects.toThrow(/bench is stopping: next engine not started/);
    finish("engine");
    await slow;
    await closed;
    expect(released).toEqual(["engine", "registry"]);
  });

  test("a release returned by add runs once, whether called before or after close", async () => {
    let count = 0;
    const r = new Resources();
    const release = r.add("temp dir", async () => void count++);
    await release();
    await r.close();
    await release();
    expect(count).toBe(1);
  });
});
