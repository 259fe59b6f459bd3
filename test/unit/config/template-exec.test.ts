/** The executor on its own: Go's truthiness, field and map access, printing, variables, errors. */
import { describe, expect, test } from "vitest";
import { GoStruct } from "../../../src/config/template/values.ts";
import { render, renderError } from "./template-support.ts";

describe("template executor", () => {
  test("Go's truthiness: false, 0, empty string, nil and empty collections are false", () => {
    const values = { f: false, z: 0, e: "", n: null, l: [], m: {}, t: true, one: 1, s: "x", ll: [0], mm: { a: 0 } };
    const out = Object.keys(values).map((k) => render(`{{ if .${k} }}T{{ else }}F{{ end }}`, values)).join("");
    expect(out).toBe("FFFFFFTTTTT");
    expect(render("{{ if .missing }}T{{ else }}F{{ end }}", {})).toBe("F");
    expect(render("{{ with .s }}{{ . }}{{ else }}none{{ end }}|{{ with .e }}{{ . }}{{ else }}none{{ end }}", values)).toBe("x|none");
  });

  test("field chains, map keys, $ and missing keys (\"<no value>\")", () => {
    const data = { a: { b: { c: "deep" } }, list: [1, 2], x: "top", nil: null };
    expect(render("{{ .a.b.c }} {{ $.x }} {{ with .a }}{{ .b.c }}{{ $.x }}{{ end }}", data)).toBe("deep top deeptop");
    expect(render("{{ .nope }}|{{ .nope.deeper }}|{{ .nil }}", data)).toBe("<no value>|<no value>|<no value>");
    expect(render("{{ $v := .a }}{{ $v.b.c }}", data)).toBe("deep");
  });

  test("values print as Go's fmt does", () => {
    const data = { l: [1, "a", [true]], m: { b: 2, a: [1] }, f: 1.5, big: 1234567.5, i: -42, n: null };
    expect(render("{{ .l }} {{ .m }} {{ .f }} {{ .big }} {{ .i }} {{ list nil }}", data)).toBe("[1 a [true]] map[a:[1] b:2] 1.5 1.2345675e+06 -42 [<nil>]");
  });

  test("methods of a struct take arguments (werf's .Files.Get)", () => {
    const files = new GoStruct("files", { Get: (p: unknown) => `content of ${String(p)}` });
    expect(render(`{{ .Files.Get "a.txt" }}|{{ "b" | .Files.Get }}`, { Files: files })).toBe("content of a.txt|content of b");
  });

  test("variables: declaration, assignment in an inner scope, range variables restored", () => {
    expect(render(`{{ $x := "a" }}{{ range list 1 2 }}{{ $x = . }}{{ end }}{{ $x }}`)).toBe("2");
    expect(render(`{{ $i := "outer" }}{{ range $i, $v := list "p" }}{{ $i }}{{ end }}{{ $i }}`)).toBe("0outer");
    expect(render(`{{ range $v := list "p" "q" }}{{ $v }}{{ end }}`)).toBe("pq");
    expect(render(`{{ if $t := "yes" }}{{ $t }}{{ end }}`)).toBe("yes");
  });

  test("parentheses, pipes into the last argument, and nested templates with their own $", () => {
    expect(render(`{{ printf "%s-%s" (printf "%d" 1) ("2" | printf "%s") }}`)).toBe("1-2");
    expect(render(`{{ define "sub" }}{{ $.k }}{{ end }}{{ template "sub" (dict "k" "inner") }}`, { k: "outer" })).toBe("inner");
  });

  test("execution errors name the failing node, at its line and column", () => {
    expect(renderError("x\n {{ .a.b }}", { a: null })).toBe("2:5: at <.a.b>: nil pointer evaluating interface {}.b");
    expect(renderError("{{ .s.x }}", { s: "str" })).toBe("1:4: at <.s.x>: can't evaluate field x in type string");
    expect(renderError(`{{ .m 1 }}`, { m: {} })).toBe("1:4: at <.m>: m is not a method but has arguments");
    expect(renderError(`{{ "a" 1 }}`)).toBe('1:4: at <"a" 1>: can\'t give argument to non-function "a"');
    expect(renderError(`{{ nil }}`)).toBe("1:4: at <nil>: nil is not a command");
    expect(renderError(`{{ len 1 2 }}`)).toBe("1:4: at <len 1 2>: wrong number of args for len: want 1 got 2");
    expect(renderError(`{{ template "none" }}`)).toBe('1:13: at <{{template "none"}}>: template "none" not defined');
    expect(renderError(`{{ range "str" }}{{ end }}`)).toBe("1:10: at <\"str\">: range can't iterate over str");
    expect(renderError(`{{ define "r" }}{{ template "r" }}{{ end }}{{ template "r" }}`)).toMatch(/exceeded maximum template depth \(200\)$/);
  });
});
