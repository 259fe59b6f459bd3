import { describe, expect, test } from "vitest";
import { ignoreRules, parseDockerignore } from "../../../src/dockerfile/ignore.ts";

const rules = (text: string) => ignoreRules(parseDockerignore(text));

describe(".dockerignore rules (moby/patternmatcher)", () => {
  test("comments and blank lines are skipped; whitespace is trimmed", () => {
    const r = rules("# comment\n\n  secret.txt  \n");
    expect(r.patterns.map((p) => p.pattern)).toEqual(["secret.txt"]);
    expect(r.ignores("secret.txt")).toBe(true);
    expect(r.ignores("# comment")).toBe(false);
  });

  test("a leading / and ./ are dropped; patterns are cleaned", () => {
    const r = rules("/a.txt\n./b/../c.txt\nd/\n");
    expect(r.patterns.map((p) => p.pattern)).toEqual(["a.txt", "c.txt", "d"]);
    expect(r.ignores("a.txt")).toBe(true);
    expect(r.ignores("c.txt")).toBe(true);
    expect(r.ignores("d/x")).toBe(true);
  });

  test("* and ? do not cross /", () => {
    const r = rules("*.log\nsrc/?.tmp\n");
    expect(r.ignores("a.log")).toBe(true);
    expect(r.ignores("dir/a.log")).toBe(false);
    expect(r.ignores("src/a.tmp")).toBe(true);
    expect(r.ignores("src/ab.tmp")).toBe(false);
  });

  test("** spans any number of directories, zero included", () => {
    const r = rules("**/*.go\nbuild/**\n");
    expect(r.ignores("main.go")).toBe(true);
    expect(r.ignores("a/b/c/main.go")).toBe(true);
    expect(r.ignores("build/x/y")).toBe(true);
    expect(r.ignores("buildx")).toBe(false);
  });

  test("a pattern matching a directory matches everything under it", () => {
    const r = rules("node_modules\n");
    expect(r.ignores("node_modules")).toBe(true);
    expect(r.ignores("node_modules/a/b.js")).toBe(true);
    expect(r.ignores("src/node_modules")).toBe(false);
  });

  test("! re-includes, and the last matching pattern wins", () => {
    const r = rules("*.md\n!README.md\nREADME*.md\n!README-keep.md\n");
    expect(r.ignores("CHANGES.md")).toBe(true);
    expect(r.ignores("README.md")).toBe(true);
    expect(r.ignores("README-keep.md")).toBe(false);
    expect(rules("docs\n!docs/keep.txt\n").ignores("docs/keep.txt")).toBe(false);
    expect(rules("docs\n!docs/keep.txt\n").ignores("docs/other.txt")).toBe(true);
  });

  test("character classes, negated classes and escapes", () => {
    const r = rules("file[0-9].txt\nx[^a].txt\nliteral\\*.txt\n");
    expect(r.ignores("file3.txt")).toBe(true);
    expect(r.ignores("filea.txt")).toBe(false);
    expect(r.ignores("xb.txt")).toBe(true);
    expect(r.ignores("xa.txt")).toBe(false);
    expect(r.ignores("literal*.txt")).toBe(true);
    expect(r.ignores("literalx.txt")).toBe(false);
  });

  test("directories can be skipped only when no ! pattern exists", () => {
    expect(rules("a\n").canSkipDirectories).toBe(true);
    expect(rules("a\n!a/b\n").canSkipDirectories).toBe(false);
  });
});
