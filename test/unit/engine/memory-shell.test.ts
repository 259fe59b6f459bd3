import { describe, expect, test } from "vitest";
import { MemoryFs } from "../../../src/engine/memory-fs.ts";
import { runArgv, runScript, type ShellIo } from "../../../src/engine/memory-shell.ts";

/** The in-memory engine's command model on an empty filesystem (see memory-shell.ts for what it supports). */
async function shell(env: Record<string, string> = {}) {
  const out: string[] = [];
  const io: ShellIo = { fs: await MemoryFs.fromLayers([]), env: new Map(Object.entries(env)), cwd: "/", uid: 0, gid: 0, binds: [], out: (t) => out.push(t) };
  const file = (path: string) => {
    const e = io.fs.get(path);
    return e?.type === "file" ? e.content.toString() : undefined;
  };
  return { io, out, file };
}

describe("the in-memory command model", () => {
  test("&& and || short-circuit; without set -e a failure does not stop the script", async () => {
    const { io, file } = await shell();
    expect(await runScript("false && echo no > /a || echo yes > /b\nfalse\necho after > /c", io)).toBe(0);
    expect([file("/a"), file("/b"), file("/c")]).toEqual([undefined, "yes\n", "after\n"]);
    expect(await runScript("set -e\nfalse || true\nfalse\necho never > /d", io)).toBe(1);
    expect(file("/d")).toBeUndefined();
  });

  test("quotes and expansion: none in single quotes, variables in double quotes and bare words", async () => {
    const { io, file } = await shell({ NAME: "world" });
    await runScript(`X=1; echo '$NAME' "$NAME \${X}" $X > /q # comment`, io);
    expect(file("/q")).toBe("$NAME world 1 1\n");
  });

  test("cd, relative paths, ln -s, chmod and test", async () => {
    const { io } = await shell();
    expect(await runScript("set -e\nmkdir -p /w/x\ncd /w\ntouch f\nchmod 0700 f\nln -s f link\ntest -f /w/f\ntest -d x", io)).toBe(0);
    expect(io.fs.get("/w/f")).toMatchObject({ type: "file", mode: 0o700 });
    expect(io.fs.get("/w/link")).toMatchObject({ type: "symlink", target: "f" });
    expect(await runScript("test -d /w/f", io)).toBe(1);
    expect(await runScript("cd /nowhere", io)).toBe(1);
  });

  test("exec form: sh -c runs a script, anything else one command; unknown commands exit 127", async () => {
    const { io, out, file } = await shell();
    expect(await runArgv(["/bin/sh", "-c", "echo one > /one"], io)).toBe(0);
    expect(file("/one")).toBe("one\n");
    expect(await runArgv(["/bin/echo", "hi"], io)).toBe(0);
    expect(await runArgv(["/usr/bin/apk", "add", "git"], io)).toBe(127);
    expect(out.join("")).toContain("hi\n");
    expect(out.join("")).toContain("sh: apk: not found");
  });

  test("changes become layer entries: new paths, and whiteouts only for paths that were there before", async () => {
    const { io } = await shell();
    await runScript("touch /tmp-only\nrm /tmp-only\ntouch /kept", io);
    expect(io.fs.changes()).toEqual([{ type: "file", path: "/kept", mode: 0o644, uid: 0, gid: 0, content: Buffer.alloc(0) }]);
  });
});
