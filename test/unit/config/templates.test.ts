import { describe, expect, test } from "vitest";
import { expandTemplates } from "../../../src/config/template.ts";
import { configError, image, META, parse } from "./support.ts";

describe("templates", () => {
  test('{{ env "X" }} and {{ .Env.X }}, with trim markers', () => {
    const c = parse(`${META}image: a\nfrom: {{ env "BASE" }}:{{.Env.TAG}}\nshell:\n  install:\n  - echo {{- env "GREETING" -}} !\n`,
      { env: { BASE: "alpine", TAG: "3.18", GREETING: "hi" } });
    expect(image(c, "a").from).toBe("alpine:3.18");
    expect(image(c, "a").shell.install).toEqual(["echohi!"]);
  });

  test("a missing variable expands to the empty string, like werf", () => {
    const c = parse(`${META}image: a\nfrom: alpine{{ env "MISSING" }}\ndocker:\n  ENV:\n    X: "{{ .Env.NOPE }}"\n`);
    expect(image(c, "a").from).toBe("alpine");
    expect(image(c, "a").docker.env).toEqual({ X: "" });
  });

  test("line numbers stay stable after expansion", () => {
    const text = `{{/* a comment\nover lines */}}\nproject: p\nfrom: {{ env "A" }}\n`;
    expect(expandTemplates(text, "werf.yaml", { A: "x" }).split("\n")).toHaveLength(text.split("\n").length);
    const e = configError(`${META}image: {{ env "N" }}\nfrom: x\nshel: {}\n`, { env: { N: "a" } });
    expect([e.line, e.column, e.field]).toEqual([6, 1, "shel"]);
  });

  test("other constructs are refused by name with line and column", () => {
    const e = configError(`${META}image: a\nfrom: x\n{{ range $i := until 3 }}\n`);
    expect(e.message).toBe('werf.yaml:6:1: Go template construct `range` is not supported; only {{ env "X" }} and {{ .Env.X }}');
    const names = ['{{ include "x" . }}', "{{- if .Values }}", '{{ define "x" }}', "{{ tpl $c $ }}", '{{ .Files.Get "a" }}',
      '{{ env "X" | default "y" }}', '{{ $_ := set . "a" "b" }}', "{{ .Commit.Hash }}", "{{ $.ImageName }}"];
    const shown = names.map((t) => configError(`${META}image: a\nfrom: ${t}\n`).detail.split("`")[1]);
    expect(shown).toEqual(["include", "if", "define", "tpl", ".Files.Get", "| default", "variable assignment", ".Commit.Hash", "variable $.ImageName"]);
  });

  test("string literal actions print their text, so commands can carry literal braces", () => {
    const c = parse(`${META}image: a\nfrom: x\nshell:\n  install:\n  - docker inspect -f '{{"{{"}}.Id{{"}}"}}' x {{ \`raw\` }}\n`);
    expect(image(c, "a").shell.install).toEqual(["docker inspect -f '{{.Id}}' x raw"]);
  });

  test("unclosed braces and multi-line values are refused", () => {
    expect(configError(`${META}image: a\nfrom: {{ env "A"\n`)).toMatchObject({ line: 5, column: 7 });
    expect(configError(`${META}image: a\nfrom: {{ env "A" }}\n`, { env: { A: "x\ny" } }).detail).toMatch(/A contains a newline/);
  });
});
