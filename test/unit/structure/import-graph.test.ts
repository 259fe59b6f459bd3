import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every module a file names: static imports, re-exports and dynamic import() calls alike. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith(".")).map((s) => relative(ROOT, resolve(dirname(join(ROOT, file)), s)));
}

/**
 * Composition at the edges: the library (src/) defines the ports; the hosts, the CLI
 * (src/cli) and the function runtimes (functions/), wire them. So nothing in src/ outside
 * the CLI may import the CLI or anything under functions/.
 */
const library = sources("src").filter((f) => !f.startsWith("src/cli/"));

describe("the import graph", () => {
  it("finds the files and their imports (the check below can see what it checks)", () => {
    expect(library.length).toBeGreaterThan(100);
    expect(importsOf("src/cleanup/repos.ts")).toContain("src/registry/repo.ts");
    expect(importsOf("src/cli/commands/functions.ts").some((f) => f.startsWith("functions/") || f.startsWith("src/"))).toBe(true);
  });

  it("nothing in src/ outside src/cli imports src/cli or functions/", () => {
    const violations = library.flatMap((file) => importsOf(file).filter((to) => to.startsWith("src/cli/") || to.startsWith("functions/")).map((to) => `${file} -> ${to}`));
    expect(violations).toEqual([]);
  });
});
