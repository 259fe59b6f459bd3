/** The parser on its own: node trees (shown back as template text) and parse errors. */
import { describe, expect, test } from "vitest";
import { ConfigError } from "../../../src/errors.ts";
import { show } from "../../../src/config/template/nodes.ts";
import { parse } from "../../../src/config/template/parser.ts";

const known = new Set(["printf", "len", "quote", "eq"]);
const trees = (text: string) => parse("t", { file: "t.yaml", text }, (n) => known.has(n));
const root = (text: string) => trees(text)[0].root;
const failure = (text: string) => {
  try {
    trees(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    return `${e.line}:${e.column}: ${e.detail}`;
  }
  throw new Error("expected a parse error");
};

describe("template parser", () => {
  test("an action holds a pipeline of commands; fields of dot and variables fold together", () => {
    const [action] = root(`{{ .a.b | printf "%s" $.c }}`).nodes;
    expect(action).toMatchObject({ kind: "action", pipe: { cmds: [{ args: [{ kind: "field", ident: ["a", "b"] }] }, { args: [{ kind: "identifier" }, { kind: "string", text: "%s" }, { kind: "variable", ident: ["$", "c"] }] }] } });
    expect(show(action)).toBe('{{.a.b | printf "%s" $.c}}');
  });

  test("parentheses make a pipeline argument; fields of a parenthesised value make a chain", () => {
    const [action] = root(`{{ (len "ab").x }}`).nodes;
    expect(action).toMatchObject({ pipe: { cmds: [{ args: [{ kind: "chain", field: ["x"], node: { kind: "pipe" } }] }] } });
    expect(show(action)).toBe('{{(len "ab").x}}');
  });

  test("declarations and assignments; range takes two variables", () => {
    expect(root(`{{ $x := 1 }}{{ $x = 2 }}`).nodes).toMatchObject([
      { pipe: { isAssign: false, decl: [{ ident: ["$x"] }] } },
      { pipe: { isAssign: true, decl: [{ ident: ["$x"] }] } },
    ]);
    expect(root(`{{ range $i, $v := . }}{{ $i }}{{ end }}`).nodes[0]).toMatchObject({ kind: "range", pipe: { decl: [{ ident: ["$i"] }, { ident: ["$v"] }] } });
  });

  test("else if chains into a nested if that shares the {{end}}", () => {
    const [node] = root(`{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}`).nodes;
    expect(node).toMatchObject({ kind: "if", list: { nodes: [{ text: "A" }] }, elseList: { nodes: [{ kind: "if", list: { nodes: [{ text: "B" }] }, elseList: { nodes: [{ text: "C" }] } }] } });
    expect(show(node)).toBe("{{if .a}}A{{else}}{{if .b}}B{{else}}C{{end}}{{end}}");
  });

  test("define and block add named templates; block also invokes its template", () => {
    const all = trees(`{{ define "x" }}X{{ end }}a{{ block "y" . }}Y{{ end }}`);
    expect(all.map((t) => [t.name, show(t.root)])).toEqual([["t", 'a{{template "y" .}}'], ["x", "X"], ["y", "Y"]]);
  });

  test("numbers: ints in every base, floats, chars", () => {
    const values = root("{{ 0x1F }}{{ 0o17 }}{{ 017 }}{{ 0b101 }}{{ 1_000 }}{{ -2.5 }}{{ 1e3 }}{{ 'a' }}{{ '\\n' }}").nodes
      .map((n) => (n as { pipe: { cmds: { args: { value: number; isFloat: boolean }[] }[] } }).pipe.cmds[0].args[0]);
    expect(values.map((v) => [v.value, v.isFloat])).toEqual([[31, false], [15, false], [15, false], [5, false], [1000, false], [-2.5, true], [1000, true], [97, false], [10, false]]);
  });

  test("errors point at the line and column in the file", () => {
    expect(failure("a\n{{ nope }}")).toBe('2:4: function "nope" not defined');
    expect(failure("{{ $x }}")).toBe('1:4: undefined variable "$x"');
    expect(failure("{{ if .a }}\nx")).toBe("2:2: unexpected EOF");
    expect(failure("x{{ end }}")).toBe("1:5: unexpected {{end}}");
    expect(failure("{{ else }}")).toBe("1:4: unexpected {{else}}");
    expect(failure("{{ break }}")).toBe("1:4: {{break}} outside {{range}}");
    expect(failure("{{ range . }}{{ define \"x\" }}{{ end }}{{ end }}")).toMatch(/^1:17: unexpected \{\{define\}\}/);
    expect(failure("{{ if }}")).toBe("1:7: missing value for if");
    expect(failure('{{ .a | "x" }}')).toBe("1:9: non executable command in pipeline stage 2");
    expect(failure("{{ $a, $b := . }}")).toBe("1:6: too many declarations in command");
    expect(failure('{{ template .x }}')).toBe('1:13: unexpected field ".x" in template clause');
    expect(failure('{{ "a".b }}')).toBe('1:4: unexpected . after term "\\"a\\""');
    expect(failure("{{ ( }}")).toBe("1:6: unclosed left paren");
  });

  test("variables are scoped to their control structure", () => {
    expect(failure("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}")).toBe('1:39: undefined variable "$x"');
    expect(failure('{{ $x := 1 }}{{ define "d" }}{{ $x }}{{ end }}')).toBe('1:33: undefined variable "$x"');
  });
});
