/** RUN --mount as BuildKit documents it, for tmpfs and bind of context files; the rest refused by name. */
import { lstat, mkdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { planProject } from "../../../src/build/plan.ts";
import { hashSelected, readContext, select } from "../../../src/dockerfile/context.ts";
import { mountBind, mountInput, parseMount } from "../../../src/dockerfile/mounts.ts";
import { parseDockerfile } from "../../../src/dockerfile/parse.ts";
import { loadDockerfileProject } from "../../../src/dockerfile/project.ts";
import { resolveDockerfile } from "../../../src/dockerfile/resolve.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { ConfigError } from "../../../src/errors.ts";
import { scratchDir } from "../../support/services.ts";

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await scratchDir("slipway-mount-");
  for (const [p, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), content);
  }
  return dir;
}

describe("parsing --mount", () => {
  test("bind is the default type, read-only unless rw; src/dst and source/target are the same keys", () => {
    expect(parseMount("target=/src")).toEqual({ type: "bind", target: "/src", source: ".", rw: false });
    expect(parseMount("type=bind,src=lib,dst=/l/,rw")).toEqual({ type: "bind", target: "/l", source: "lib", rw: true });
    expect(parseMount("type=bind,source=a,target=/a,readwrite=false")).toMatchObject({ rw: false });
    expect(parseMount("type=tmpfs,target=/cache,size=64m")).toEqual({ type: "tmpfs", target: "/cache" });
  });

  test("cache: id defaults to the target, mode 0755, owner 0:0; sharing accepted", () => {
    expect(parseMount("type=cache,target=/root/.npm")).toEqual({ type: "cache", target: "/root/.npm", id: "/root/.npm", mode: 0o755, uid: 0, gid: 0, readOnly: false });
    expect(parseMount("type=cache,id=npm,target=/c,sharing=locked,mode=0777,uid=1000,gid=1000,ro")).toEqual({ type: "cache", target: "/c", id: "npm", mode: 0o777, uid: 1000, gid: 1000, readOnly: true });
  });

  test("unsupported keys of secret and ssh mounts, a cache from a stage, a missing or relative target are refused by name", () => {
    expect(() => parseMount("type=secret,id=npm,source=x")).toThrow("RUN --mount=type=secret: source is not supported");
    expect(() => parseMount("type=ssh,rw")).toThrow("RUN --mount=type=ssh: rw is not supported");
    expect(() => parseMount("type=cache,target=/c,from=build")).toThrow(/with from\/source \(a seed stage\) is not supported/);
    expect(() => parseMount("type=cache,target=/c,sharing=global")).toThrow(/sharing must be shared, private or locked/);
    expect(() => parseMount("type=cache,target=/c,mode=rwx")).toThrow(/invalid mode/);
    expect(() => parseMount("type=bind,source=x")).toThrow("RUN --mount: target is required");
    expect(() => parseMount("type=volume,target=/v")).toThrow(/unknown type/);
  });

  test("a relative target is under the WORKDIR the Dockerfile set (BuildKit's rule; the Docker docs' Node guide binds package.json so)", () => {
    expect(parseMount("type=tmpfs,target=tmp", "/app")).toEqual({ type: "tmpfs", target: "/app/tmp" });
    expect(parseMount("type=tmpfs,target=../x/", "/app/sub")).toEqual({ type: "tmpfs", target: "/app/x" });
    expect(parseMount("type=tmpfs,target=/abs", "/app")).toEqual({ type: "tmpfs", target: "/abs" });
    const r = resolveDockerfile(parseDockerfile("FROM a AS base\nWORKDIR /usr/src\nFROM base\nWORKDIR app\nRUN --mount=type=bind,source=package.json,target=package.json cat package.json\n", "Dockerfile"), { buildArgs: {}, network: false });
    const run = r.steps.find((s) => s.op.op === "run");
    expect(run?.op.op === "run" && run.op.mounts?.[0]).toMatchObject({ type: "bind", target: "/usr/src/app/package.json", source: "package.json" });
  });

  test("a bind from a stage or an image makes the RUN depend on it; an unknown or later stage is refused", () => {
    expect(parseMount("type=bind,from=build,source=/out,target=/b")).toEqual({ type: "bind", target: "/b", source: "/out", rw: false, from: "build" });
    const r = resolveDockerfile(parseDockerfile("FROM a AS build\nRUN make\nFROM unused AS other\nFROM b\nRUN --mount=from=build,source=/out,target=/o --mount=from=tools:1,target=/t cp /o/x /x\n", "Dockerfile"), { buildArgs: {}, network: false });
    expect(r.steps.map((s) => s.label)).toEqual(["FROM tools:1", "FROM#1 a AS build", "RUN#2 make", "FROM#4 b", "RUN#5 --mount=from=build,source=/out,target=/o..."]);
    expect(r.steps.at(-1)?.op).toMatchObject({ mounts: [{ from: "build", fromStage: 0 }, { from: "tools:1", fromStage: 3 }] });
    expect(() => resolveDockerfile(parseDockerfile("FROM a AS first\nRUN --mount=from=later,target=/l true\nFROM b AS later\n", "Dockerfile"), { buildArgs: {}, network: false, target: "first" })).toThrow(/a stage can only use an earlier stage/);
  });

  test("in a Dockerfile: several mounts, in the stage name, errors with the line", () => {
    const r = resolveDockerfile(parseDockerfile("FROM a\nRUN --mount=type=tmpfs,target=/t --mount=target=/src make\n", "Dockerfile"), { buildArgs: {}, network: false });
    const run = r.steps[1];
    expect(run.label).toBe("RUN#2 --mount=type=tmpfs,target=/t --mount=tar...");
    expect(run.op).toMatchObject({ op: "run", argv: ["/bin/sh", "-c", "make"], mounts: [{ type: "tmpfs" }, { type: "bind", source: "." }] });
    let err: unknown;
    try {
      resolveDockerfile(parseDockerfile("FROM a\n\nRUN --mount=type=secret,id=x,src=y cat /run/secrets/x\n", "Dockerfile"), { buildArgs: {}, network: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect([(err as ConfigError).line, (err as ConfigError).detail]).toEqual([3, "RUN --mount=type=secret: src is not supported"]);
  });
});

describe("cache mounts", () => {
  test("one directory per id under the cache root, kept between runs, made with the mount's mode", async () => {
    const ctx = await readContext(await scratchDir("slipway-ctx-"));
    const root = await scratchDir("slipway-cache-");
    const npm = parseMount("type=cache,id=npm,target=/root/.npm,mode=0777");
    const first = await mountBind(npm, ctx, root).fill?.(await scratchDir("slipway-t-"));
    expect(typeof first).toBe("string");
    expect((await lstat(first as string)).mode & 0o7777).toBe(0o777);
    await writeFile(join(first as string, "kept"), "1");
    const again = await mountBind(parseMount("type=cache,id=npm,target=/elsewhere"), ctx, root).fill?.(await scratchDir("slipway-t-"));
    expect(again).toBe(first);
    expect(await readFile(join(again as string, "kept"), "utf8")).toBe("1");
    const other = await mountBind(parseMount("type=cache,target=/root/.npm"), ctx, root).fill?.(await scratchDir("slipway-t-"));
    expect(other).not.toBe(first);
    expect(mountInput(npm)).toBe("cache /root/.npm");
  });
});

describe("what a bind mount binds", () => {
  test("exactly the selected context files (after .dockerignore), modes kept; a file source is bound as the file", async () => {
    const ctxDir = await dirWith({ ".dockerignore": "src/secret.env\n", "src/a.txt": "a", "src/sub/b.txt": "b", "src/secret.env": "s", "top.txt": "t" });
    await symlink("a.txt", join(ctxDir, "src/link"));
    const ctx = await readContext(ctxDir);
    const selected = await hashSelected(ctx, select(ctx, ["src"], "/mount/"));
    const bind = mountBind({ type: "bind", target: "/src", source: "src", rw: false, selected }, ctx, "/nonexistent");
    expect(bind).toMatchObject({ source: "", target: "/src", readOnly: true });
    const dir = await scratchDir("slipway-bound-");
    expect(await bind.fill?.(dir)).toBeUndefined();
    expect(await readFile(join(dir, "sub/b.txt"), "utf8")).toBe("b");
    expect(await readlink(join(dir, "link"))).toBe("a.txt");
    await expect(lstat(join(dir, "secret.env"))).rejects.toThrow(/ENOENT/);
    await expect(lstat(join(dir, "top.txt"))).rejects.toThrow(/ENOENT/);
    const one = await hashSelected(ctx, select(ctx, ["top.txt"], "/mount/"));
    const fileDir = await scratchDir("slipway-bound-");
    expect(await mountBind({ type: "bind", target: "/t", source: "top.txt", rw: true, selected: one }, ctx, "/nonexistent").fill?.(fileDir)).toBe(join(fileDir, "top.txt"));
    const sub = await hashSelected(ctx, select(ctx, ["src/sub"], "/mount/"));
    const subDir = await scratchDir("slipway-bound-");
    expect(await mountBind({ type: "bind", target: "/s", source: "src/sub", rw: false, selected: sub }, ctx, "/nonexistent").fill?.(subDir)).toBeUndefined();
    expect(await readFile(join(subDir, "b.txt"), "utf8")).toBe("b");
    expect(mountInput({ type: "tmpfs", target: "/t" })).toBe("tmpfs /t");
  });

  test("the bound files' content is in the RUN's digest; files it does not bind are not", async () => {
    async function digests(files: Record<string, string>): Promise<string[]> {
      const dir = await dirWith({ Dockerfile: "FROM base\nRUN --mount=source=src,target=/src --mount=type=tmpfs,target=/tmp make\nCMD [\"x\"]\n", "src/a.c": "1", "other.txt": "o", ...files });
      const config = await loadDockerfileProject({ dir, buildArgs: {}, network: false });
      const plan = await planProject(config, [], { engine: {} as Engine, buildDir: "/tmp", resolveBase: async () => `sha256:${"1".repeat(64)}` });
      return plan.images[0].stages.map((s) => s.digest);
    }
    const a = await digests({});
    expect(await digests({ "other.txt": "changed" })).toEqual(a);
    const b = await digests({ "src/a.c": "2" });
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    await expect(digests({ Dockerfile: "FROM base\nRUN --mount=source=nope,target=/n true\n" })).rejects.toThrow(/RUN --mount: nope: not found in the build context/);
  });
});
