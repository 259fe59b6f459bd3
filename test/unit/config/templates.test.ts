/**
 * Config files render as werf renders them, before the YAML is read: the Go template
 * language, Sprig, werf's `env`/`.Env`, with every template error at file:line:column.
 */
import { describe, expect, test } from "vitest";
import { ConfigError } from "../../../src/errors.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { expandTemplates } from "../../../src/config/template.ts";
import { configError, DIR, image, META, parse } from "./support.ts";

describe("templates in configs", () => {
  test('{{ env "X" }} with trim markers, which eat whitespace as in Go', () => {
    const c = parse(`${META}image: a\nfrom: {{ env "BASE" }}:{{ env "TAG" }}\nshell:\n  install:\n  - echo {{- env "GREETING" -}} !\n`,
      { env: { BASE: "alpine", TAG: "3.18", GREETING: "hi" } });
    expect(image(c, "a").from).toBe("alpine:3.18");
    expect(image(c, "a").shell.install).toEqual(["echohi!"]);
  });

  test("a missing variable expands to the empty string; a default replaces unset or empty", () => {
    const c = parse(`${META}image: a\nfrom: alpine{{ env "MISSING" }}\ndocker:\n  ENV:\n    X: "{{ env "EMPTY" "false" }}"\n    Y: {{ env "NOPE" | default "d" }}\n`,
      { env: { EMPTY: "" } });
    expect(image(c, "a").from).toBe("alpine");
    expect(image(c, "a").docker.env).toEqual({ X: "false", Y: "d" });
  });

  test(".Env is werf's --env value, not the process environment", () => {
    const text = `${META}image: a\nfrom: alpine\ndocker:\n  ENV:\n    MODE: {{ if eq .Env "production" }}prod{{ else }}dev-{{ .Env }}{{ end }}\n`;
    const env = (werfEnv?: string) => image(parseConfig(text, "werf.yaml", DIR, { production: "x" }, { werfEnv }), "a").docker.env;
    expect(env("production")).toEqual({ MODE: "prod" });
    expect(env("staging")).toEqual({ MODE: "dev-staging" });
    expect(env()).toEqual({ MODE: "dev-" });
    expect(configError(`${META}image: a\nfrom: {{ .Env.TAG }}\n`).message)
      .toBe("werf.yaml:5:10: at <.Env.TAG>: can't evaluate field TAG in type string");
  });

  test("variables, range, include/define and tpl build the YAML", () => {
    const text = `{{ $base := "alpine:3.19" }}${META}{{ range $i, $name := list "api" "worker" }}
---
image: {{ $name }}
from: {{ $base }}
shell:
  install:
  - {{ include "install" (dict "n" $i) | trim }}
  - {{ tpl "echo {{ .x }}" (dict "x" $name) }}
{{- end }}
{{- define "install" }}
  echo {{ .n }}
{{ end }}
`;
    const c = parse(text);
    expect(c.images.map((i) => [i.name, i.from, i.shell.install])).toEqual([
      ["api", "alpine:3.19", ["echo 0", "echo api"]],
      ["worker", "alpine:3.19", ["echo 1", "echo worker"]],
    ]);
  });

  test("string literal actions print their text, so commands can carry literal braces", () => {
    const c = parse(`${META}image: a\nfrom: x\nshell:\n  install:\n  - docker inspect -f '{{"{{"}}.Id{{"}}"}}' x {{ \`raw\` }}\n`);
    expect(image(c, "a").shell.install).toEqual(["docker inspect -f '{{.Id}}' x raw"]);
  });

  test("a line from a template defined inside a tpl string keeps the rendered line (it has no file of its own)", () => {
    const e = configError(`${META}{{ tpl "{{ define \\"d\\" }}frm: y{{ end }}" . }}image: a\nfrom: x\n{{ template "d" }}\n`);
    expect([e.file, e.line, e.field]).toEqual(["werf.yaml", 6, "frm"]);
  });

  test("comments vanish with their text", () => {
    expect(expandTemplates("{{/* a comment\nover lines */}}\nproject: p\n", "werf.yaml", {})).toBe("\nproject: p\n");
  });

  test("template errors name file, line and column, before any YAML is read", () => {
    const cases: [string, string][] = [
      [`${META}image: a\nfrom: x\n{{ range $i := until 3 }}\n`, "werf.yaml:7:1: unexpected EOF"],
      [`${META}image: a\nfrom: {{ nope "x" }}\n`, 'werf.yaml:5:10: function "nope" not defined'],
      [`${META}image: a\nfrom: {{ env "A"\n`, "werf.yaml:5:7: unclosed action"],
      [`${META}image: a\nfrom: {{ $x }}\n`, 'werf.yaml:5:10: undefined variable "$x"'],
      [`${META}image: a\n  from: {{ fail "no base" }}\n`, 'werf.yaml:5:12: at <fail "no base">: error calling fail: no base'],
      [`${META}image: a\nfrom: {{ required "BASE is required" (env "BASE") }}\n`, 'werf.yaml:5:10: at <required "BASE is required" (env "BASE")>: error calling required: BASE is required'],
    ];
    for (const [text, message] of cases) {
      const e = configError(text);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toBe(message);
    }
  });

  test("an error in the rendered YAML points at the line the user wrote", () => {
    const e = configError(`${META}image: {{ env "N" }}\nfrom: x\nshel: {}\n`, { env: { N: "a" } });
    expect([e.line, e.column, e.field]).toEqual([6, 1, "shel"]);
    // The range renders three lines per item: the third item's typo is still on line 8 of the file.
    const text = `${META}image: a\nfrom: x\nshell:\n{{- range list "install" "setup" "beforeSetup" }}\n  {{ . }}:\n  - echo {{ . }}\n{{- end }}\n  instal: [x]\n`;
    const moved = configError(text);
    expect([moved.file, moved.line, moved.column, moved.field]).toEqual(["werf.yaml", 11, 3, "shell.instal"]);
  });

  test("an error in a line rendered by a defined template points at the define; the column only when the line is unchanged", () => {
    const text = (frm: string) => `${META}{{ template "img" }}\n{{ define "img" }}\nimage: a\nfrom: x\n${frm}\n{{ end }}`;
    const e = configError(text("frm: y"));
    expect([e.line, e.column, e.field]).toEqual([8, 1, "frm"]);
    const changed = configError(text('frm: {{ "y" }}'));
    expect([changed.line, changed.column, changed.field]).toEqual([8, undefined, "frm"]);
  });
});
