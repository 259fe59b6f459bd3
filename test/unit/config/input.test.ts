import { describe, expect, test } from "vitest";
import { expandHome } from "../../../src/build/local.ts";
import { decodeConfigText, MAX_NESTING } from "../../../src/config/yaml-source.ts";
import { ConfigError } from "../../../src/errors.ts";
import { configError, META, parse } from "./support.ts";

describe("every config problem in one pass", () => {
  test("problems of one document come together, each at its line and column, in file order", () => {
    const e = configError(`${META}image: a\nfrom: x\nshel:\n  install: x\nmount:\n- from: tmpdir\n  to: /x\nfromm: y\n`);
    expect(e.problems.map((p) => [p.line, p.column, p.field])).toEqual([
      [6, 1, "shel"],
      [9, 9, "mount[0].from"],
      [11, 1, "fromm"],
    ]);
    expect(e.message.split("\n")).toEqual(e.problems.map((p) => p.message));
    expect(e).toMatchObject({ line: 6, column: 1, field: "shel" });
  });

  test("problems of several documents come together", () => {
    const e = configError(`${META}image: a\nfrom: x\nzzz: 1\n---\nimage: b\nfrom: y\nshell:\n  install: {a: 1}\n`);
    expect(e.problems.map((p) => [p.line, p.field])).toEqual([[6, "zzz"], [11, "shell.install"]]);
  });

  test("every refusal at once, each said once (not again as an unknown key), beside other problems", () => {
    const e = configError(`${META}image: a\nfrom: x\nplatform: [linux/arm64]\nnetwork: maybe\n`);
    expect(e.problems.map((p) => p.field)).toEqual(["platform", "network"]);
    expect(e.problems[0].detail).toMatch(/platform/);
    expect(e.problems[1].detail).toMatch(/true or false/);
  });

  test("a single problem stays a plain ConfigError with itself as its only problem", () => {
    const e = configError(`${META}image: a\nfrom: x\nfromm: y\n`);
    expect(e.problems).toEqual([e]);
  });

  test("ConfigError.all sorts by place and drops repeats", () => {
    const b = new ConfigError("f", 3, 1, "b", "x");
    const a = new ConfigError("f", 1, 5, "a", "y");
    const all = ConfigError.all([b, a, new ConfigError("f", 3, 1, "b", "x")]);
    expect(all.problems).toEqual([a, b]);
    expect(all.message).toBe("f:1:5: a: y\nf:3:1: b: x");
  });
});

describe("control characters and encodings", () => {
  test("invalid UTF-8 is an error at its line and column, never replaced by U+FFFD", () => {
    const bytes = Buffer.concat([Buffer.from(`${META}image: a\nfrom: x\nshell:\n  install: echo caf`), Buffer.from([0xe9]), Buffer.from("\n")]);
    expect(() => decodeConfigText(bytes, "werf.yaml")).toThrow(ConfigError);
    try {
      decodeConfigText(bytes, "werf.yaml");
    } catch (err) {
      expect(err).toMatchObject({ file: "werf.yaml", line: 7, column: 20 });
      expect((err as ConfigError).detail).toMatch(/invalid UTF-8 \(byte 0xE9\)/);
    }
    expect(decodeConfigText(Buffer.from("a: café ✓ 😀\n"), "f")).toBe("a: café ✓ 😀\n");
  });

  test("a raw NUL or control byte in the file is an error at its place", () => {
    const e = configError(`${META}image: a\nfrom: x\nshell:\n  install: echo a\u0000b\n  setup: printf \u0007\n`);
    expect(e.problems.map((p) => [p.line, p.column, p.detail])).toEqual([
      [7, 18, "control character U+0000 is not allowed in a config file"],
      [8, 17, "control character U+0007 is not allowed in a config file"],
    ]);
  });

  test("an escaped NUL or control character in a command is an error at the value; tab, newline and escape are fine", () => {
    const e = configError(`${META}image: a\nfrom: x\nshell:\n  install: ["ok", "rm -rf /tmp/x\\0/"]\n  setup: "a\\x01"\n`);
    expect(e.problems.map((p) => [p.line, p.column, p.field, p.detail])).toEqual([
      [7, 19, "shell.install[1]", "control character U+0000 is not allowed"],
      [8, 10, "shell.setup", "control character U+0001 is not allowed"],
    ]);
    expect(() => parse(`${META}image: a\nfrom: x\nshell:\n  install: ["printf '\\e[31m\\tred\\n'"]\n`)).not.toThrow();
  });

  test("a control character a template brings in is caught too", () => {
    const e = configError(`${META}image: a\nfrom: x\nshell:\n  install: ["echo {{ env "X" }}"]\n`, { env: { X: "a\u0002b" } });
    expect(e.problems[0]).toMatchObject({ field: "shell.install[0]", detail: "control character U+0002 is not allowed" });
  });
});

describe("deep nesting", () => {
  const depth = 20_000;
  for (const [kind, body] of [
    ["flow sequences", `${META}image: a\nfrom: x\nlabels: ${"[".repeat(depth)}${"]".repeat(depth)}\n`],
    ["flow maps", `${META}image: a\nfrom: x\nlabels: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}\n`],
    ["block maps", `${META}${Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}a:`).join("\n")} 1\n`],
  ] as const) {
    test(`${depth} levels of ${kind} give a clear config error, not a stack overflow`, () => {
      const e = configError(body);
      expect(e.detail).toBe(`the YAML nests collections more than ${MAX_NESTING} levels deep; a config needs only a few`);
      expect(e.line).toBeGreaterThanOrEqual(4);
    });
  }

  test("just past the limit is refused at the first node too deep; a config well inside it parses", () => {
    const nested = (n: number) => `${META}image: a\nfrom: x\ndocker:\n  LABEL:\n    x: ${"[".repeat(n)}${"]".repeat(n)}\n`;
    expect(configError(nested(MAX_NESTING)).detail).toMatch(/nests collections more than/);
    expect(configError(nested(5)).detail).not.toMatch(/nests/);
  });
});

describe("fromPath", () => {
  test("~ and ~/... are the build user's home; ~user and relative paths are refused at the key", () => {
    expect(parse(`${META}image: a\nfrom: x\nmount:\n- fromPath: ~/go-pkg\n  to: /go/pkg\n`).images[0].mounts[0].fromPath).toBe("~/go-pkg");
    expect(configError(`${META}image: a\nfrom: x\nmount:\n- fromPath: ~bob/cache\n  to: /c\n`)).toMatchObject({ line: 7, column: 13, field: "mount[0].fromPath" });
    expect(configError(`${META}image: a\nfrom: x\nmount:\n- fromPath: ~bob/cache\n  to: /c\n`).detail).toMatch(/not ~user/);
    expect(configError(`${META}image: a\nfrom: x\nmount:\n- fromPath: cache/go\n  to: /c\n`).detail).toMatch(/absolute path or start with ~\//);
    expect(expandHome("~/go-pkg", "/home/ci")).toBe("/home/ci/go-pkg");
    expect(expandHome("~", "/home/ci")).toBe("/home/ci");
    expect(expandHome("/srv/~/x", "/home/ci")).toBe("/srv/~/x");
  });
});
