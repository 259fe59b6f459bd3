import { link, mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { planProject } from "../../../src/build/plan.ts";
import { hashSelected, readContext, select, type BuildContext } from "../../../src/dockerfile/context.ts";
import { contextEntries, hardLinks } from "../../../src/dockerfile/copy.ts";
import { loadDockerfileProject } from "../../../src/dockerfile/project.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { scratchDir } from "../../support/services.ts";

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await scratchDir("slipway-ctx-");
  for (const [p, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), content);
  }
  return dir;
}

const placed = (ctx: BuildContext, sources: string[], dest: string) =>
  select(ctx, sources, dest).map((s) => `${s.entry.path} -> ${s.destPath}`).sort();

describe("what COPY selects from the context", () => {
  test("a directory copies its contents; a file goes to dest or into dest/", async () => {
    const ctx = await readContext(await dirWith({ "src/a.txt": "a", "src/sub/b.txt": "b", "x.txt": "x" }));
    expect(placed(ctx, ["src"], "/app")).toEqual(["src/a.txt -> a.txt", "src/sub -> sub", "src/sub/b.txt -> sub/b.txt"]);
    expect(placed(ctx, ["x.txt"], "/y.txt")).toEqual(["x.txt -> "]);
    expect(placed(ctx, ["x.txt"], "/y/")).toEqual(["x.txt -> x.txt"]);
    expect(placed(ctx, ["."], "/all/")).toContain("src/sub/b.txt -> src/sub/b.txt");
  });

  test("wildcards match per path segment; many sources need a dest ending in /", async () => {
    const ctx = await readContext(await dirWith({ "a.json": "1", "b.json": "2", "sub/c.json": "3" }));
    expect(placed(ctx, ["*.json"], "/cfg/")).toEqual(["a.json -> a.json", "b.json -> b.json"]);
    expect(() => select(ctx, ["*.json"], "/cfg")).toThrow(/must be a directory and end with a \//);
    expect(() => select(ctx, ["*.yaml"], "/cfg/")).toThrow(/matches nothing/);
  });

  test("sources cannot leave the context; .dockerignore'd files are not there; links stay links", async () => {
    const dir = await dirWith({ "in.txt": "i", "secret.env": "s", ".dockerignore": "secret.env\n" });
    await symlink("/etc/passwd", join(dir, "link"));
    const ctx = await readContext(dir);
    expect(placed(ctx, ["../../in.txt"], "/x")).toEqual(["in.txt -> "]);
    expect(() => select(ctx, ["secret.env"], "/x")).toThrow(/not found in the build context/);
    expect(ctx.entries.get("link")).toMatchObject({ type: "symlink", target: "/etc/passwd" });
  });

  test("a source that is a symlink is followed inside the context (as BuildKit); one inside a copied directory stays a link", async () => {
    const dir = await dirWith({ "tree/a.txt": "a", "tree/sub/b.txt": "b", "secret.env": "s", ".dockerignore": "secret.env\n" });
    await symlink("tree/a.txt", join(dir, "top"));
    await symlink("/tree/sub", join(dir, "abs-dir"));
    await symlink("top", join(dir, "chain"));
    await symlink("a.txt", join(dir, "tree/inner"));
    await symlink("secret.env", join(dir, "to-ignored"));
    await symlink("../../etc/passwd", join(dir, "outside"));
    const ctx = await readContext(dir);
    expect(placed(ctx, ["top"], "/x/")).toEqual(["tree/a.txt -> top"]);
    expect(placed(ctx, ["chain"], "/x")).toEqual(["tree/a.txt -> "]);
    expect(placed(ctx, ["abs-dir"], "/x")).toEqual(["tree/sub/b.txt -> b.txt"]);
    expect(placed(ctx, ["tree"], "/x")).toContain("tree/inner -> inner");
    expect(select(ctx, ["tree"], "/x").find((s) => s.destPath === "inner")?.entry.type).toBe("symlink");
    expect(() => select(ctx, ["to-ignored"], "/x")).toThrow(/a symlink to secret.env, which is not in the build context/);
    expect(() => select(ctx, ["outside"], "/x")).toThrow(/not in the build context/);
  });

  test("hard links: the first (by destination) is the file, the others link to it; their stage digest says so", async () => {
    const dir = await dirWith({ "h/one.txt": "same", "h/solo.txt": "solo" });
    await link(join(dir, "h/one.txt"), join(dir, "h/two.txt"));
    const ctx = await readContext(dir);
    const selected = await hashSelected(ctx, select(ctx, ["h"], "/x"));
    const links = [...hardLinks(selected)].map(([s, to]) => `${s.destPath} -> ${to.destPath}`);
    expect(links).toEqual(["two.txt -> one.txt"]);
    const entries = await contextEntries(ctx, selected, { dest: "/x" }, async () => ({ uid: 0, gid: 0 }));
    expect(entries.find((e) => e.path === "/x/two.txt")).toMatchObject({ type: "link", target: "/x/one.txt" });
  });
});

describe("Dockerfile stage digests", () => {
  const DOCKERFILE = "FROM base\nARG UNUSED\nCOPY deps.txt /app/\nRUN make deps\nCOPY src /app/src\nRUN make\nCMD [\"app\"]\n";

  async function digests(files: Record<string, string>, buildArgs: Record<string, string> = {}) {
    const dir = await dirWith({ Dockerfile: DOCKERFILE, "deps.txt": "d1", "src/main.c": "m1", ...files });
    const config = await loadDockerfileProject({ dir, buildArgs, network: false });
    const plan = await planProject(config, [], { engine: {} as Engine, buildDir: "/tmp", resolveBase: async () => `sha256:${"1".repeat(64)}` });
    return plan.images[0].stages.map((s) => s.digest);
  }

  test("same inputs, same digests; a changed file rebuilds only from the first instruction that copies it", async () => {
    const a = await digests({});
    expect(await digests({})).toEqual(a);
    const src = await digests({ "src/main.c": "m2" });
    expect(src.slice(0, 3)).toEqual(a.slice(0, 3));
    expect(src[3]).not.toBe(a[3]);
    const deps = await digests({ "deps.txt": "d2" });
    expect(deps[0]).toBe(a[0]);
    expect(deps[1]).not.toBe(a[1]);
    expect(await digests({ "unrelated.txt": "u" })).toEqual(a);
  });

  test("a build arg changes the digests of the RUNs that can see it, from the first one", async () => {
    const a = await digests({});
    const b = await digests({}, { UNUSED: "1" });
    expect(b.slice(0, 2)).toEqual(a.slice(0, 2));
    expect(b[2]).not.toBe(a[2]);
    expect(await digests({}, { NOT_DECLARED: "x" })).toEqual(a);
  });
});
