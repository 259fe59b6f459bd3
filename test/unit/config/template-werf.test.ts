/**
 * werf's own template functions and data, on real project directories: `.Files`,
 * `.werf/**\/*.tmpl` partials, `include`, `tpl`, `env`, `required`, `.Env`, `.Commit`.
 */
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadConfig } from "../../../src/config/load.ts";
import { expandTemplates } from "../../../src/config/template.ts";
import { humanDate } from "../../../src/config/template/werf.ts";
import { ConfigError } from "../../../src/errors.ts";
import { gitProject } from "../../support/project.ts";

const META = "project: p\nconfigVersion: 1\n---\n";

async function renderIn(files: Record<string, string>, text: string, env: Record<string, string> = {}) {
  const project = await gitProject(files);
  return { project, out: expandTemplates(text, "werf.yaml", env, { dir: project.dir }) };
}

async function errorIn(files: Record<string, string>, text: string): Promise<ConfigError> {
  try {
    await renderIn(files, text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("werf template functions", () => {
  test(".Files.Get reads a file relative to the project directory; .Exists and .IsDir", async () => {
    const { out } = await renderIn({ "conf/app.ini": "a=1\nb=2\n" },
      `{{ .Files.Get "conf/app.ini" | indent 2 }}|{{ .Files.Exists "conf/app.ini" }} {{ .Files.Exists "nope" }} {{ .Files.IsDir "conf" }} {{ .Files.IsDir "conf/app.ini" }}`);
    expect(out).toBe("  a=1\n  b=2\n  |true false true false");
  });

  test(".Files.Glob returns path -> content, ranged in path order", async () => {
    const { out } = await renderIn({ "sql/2.sql": "two", "sql/1.sql": "one", "sql/sub/3.sql": "three", "sql/x.txt": "no" },
      `{{ range $path, $content := .Files.Glob "sql/**/*.sql" }}{{ $path }}={{ $content }};{{ end }}{{ len (.Files.Glob "none/*") }}`);
    expect(out).toBe("sql/1.sql=one;sql/2.sql=two;sql/sub/3.sql=three;0");
    const literal = await renderIn({ "a/b.txt": "B", "a/c.txt": "C" }, `{{ .Files.Glob "a/b.txt" }} {{ .Files.Glob "./a/*.txt" | len }} {{ .Files.Glob "../*" | len }}`);
    expect(literal.out).toBe("map[a/b.txt:B] 2 0");
  });

  test(".Files never reads outside the project directory, symlinks included", async () => {
    const project = await gitProject({ "a.txt": "a" });
    await symlink("/etc/hostname", join(project.dir, "link"));
    const render = (t: string) => () => expandTemplates(t, "werf.yaml", {}, { dir: project.dir });
    expect(render(`{{ .Files.Get "../x" }}`)).toThrow(/outside the project directory/);
    expect(render(`{{ .Files.Get "link" }}`)).toThrow(/not found in the project directory/);
    expect(render(`{{ .Files.Exists "/etc/hostname" }}`)()).toBe("false");
  });

  test("a missing file is an error at the .Files.Get call", async () => {
    const e = await errorIn({}, `x: 1\ny: {{ .Files.Get "missing.txt" }}`);
    expect([e.file, e.line, e.column]).toEqual(["werf.yaml", 2, 7]);
    expect(e.detail).toMatch(/error calling Get: .*the file "missing.txt" not found in the project directory/);
  });

  test(".werf/**/*.tmpl partials join the template set, named by their path inside .werf/", async () => {
    const { out } = await renderIn({
      ".werf/common.tmpl": `{{ define "base" }}alpine:{{ . }}{{ end }}`,
      ".werf/images/app.tmpl": "image: {{ .name }}\nfrom: {{ include \"base\" \"3.19\" }}",
    }, `{{ include "images/app.tmpl" (dict "name" "app") }}|{{ template "base" "edge" }}`);
    expect(out).toBe("image: app\nfrom: alpine:3.19|alpine:edge");
  });

  test("an error inside a partial points at the partial's file and line", async () => {
    const e = await errorIn({ ".werf/bad.tmpl": "ok\n{{ define \"x\" }}{{ fail \"from partial\" }}{{ end }}" }, `{{ include "x" . }}`);
    expect([e.file, e.line, e.column]).toEqual([".werf/bad.tmpl", 2, 20]);
    expect(e.detail).toBe('at <fail "from partial">: error calling fail: from partial');
  });

  test("include output can be piped; tpl renders a string as a template", async () => {
    const { out } = await renderIn({}, `{{ define "cmd" }}  echo {{ .x }}  {{ end }}[{{ include "cmd" (dict "x" 1) | trim }}] {{ tpl "{{ .a }}-{{ include \\"cmd\\" . | trim }}" (dict "a" "A" "x" 2) }}`);
    expect(out).toBe("[echo 1] A-echo 2");
    const e = await errorIn({}, `{{ tpl "{{ nope }}" . }}`);
    expect(e.detail).toMatch(/^at <tpl "\{\{ nope \}\}" \.>: error calling tpl: template: tpl-\d+:1:4: function "nope" not defined$/);
  });

  test('env with a default, as werf: {{ env "X" "false" }} and a default for an empty value', async () => {
    const { out } = await renderIn({}, `{{ env "A" }}|{{ env "UNSET" }}|{{ env "UNSET" "false" }}|{{ env "EMPTY" "dflt" }}|{{ env "A" "dflt" }}`, { A: "a", EMPTY: "" });
    expect(out).toBe("a||false|dflt|a");
    const e = await errorIn({}, `{{ env "A" "b" "c" }}`);
    expect(e.detail).toBe('at <env "A" "b" "c">: error calling env: more than 1 optional argument prohibited');
  });

  test("required fails on nil or an empty string with its message", async () => {
    const e = await errorIn({}, `{{ required "set IMAGE_TAG" (env "IMAGE_TAG") }}`);
    expect(e.detail).toBe('at <required "set IMAGE_TAG" (env "IMAGE_TAG")>: error calling required: set IMAGE_TAG');
    expect((await renderIn({}, `{{ "x" | required "m" }} {{ 0 | required "m" }}`)).out).toBe("x 0");
  });

  test(".Commit.Hash and .Commit.Date are HEAD's", async () => {
    const { project, out } = await renderIn({ "a": "1" }, `{{ .Commit.Hash }} {{ .Commit.Date.Unix }}`);
    const [hash, unix] = (await project.git("log", "-1", "--format=%H %ct")).split(" ");
    expect(out).toBe(`${hash} ${unix}`);
    expect(humanDate(1700000000, 180)).toBe("2023-11-15 01:13:20 +0300 +0300");
    expect(humanDate(1700000000, -330)).toBe("2023-11-14 16:43:20 -0530 -0530");
  });

  test(".Commit outside a git repository is an error only when used", async () => {
    const dir = (await gitProject({})).dir;
    const notGit = join(dir, ".git", "..", "..");
    expect(expandTemplates("plain", "werf.yaml", {}, { dir: notGit })).toBe("plain");
    expect(() => expandTemplates("\n{{ .Commit.Hash }}", "werf.yaml", {}, { dir: notGit })).toThrow(/^werf.yaml:2:4: at <.Commit.Hash>: unable to get HEAD commit hash/);
  });

  test("loadConfig: partials, .Files and --env together build the config", async () => {
    const project = await gitProject({
      "werf.yaml": `${META}{{ include "image.tmpl" (dict "name" "app" "env" .Env "root" $) }}\n`,
      ".werf/image.tmpl": "image: {{ .name }}\nfrom: alpine\nshell:\n  install:\n  - echo {{ .env }}\n{{- range $f, $_ := .root.Files.Glob \"scripts/*.sh\" }}\n  - sh {{ $f }}\n{{- end }}\n",
      "scripts/a.sh": "echo a",
    });
    const c = await loadConfig({ dir: project.dir, env: {}, werfEnv: "staging" });
    expect(c.images[0].shell.install).toEqual(["echo staging", "sh scripts/a.sh"]);
  });
});
