/**
 * The examples of werf's "werf.yaml template engine" page (werf/werf,
 * docs/pages_en/usage/project_configuration/werf_yaml_template_engine.md), loaded as
 * configs from real project directories.
 */
import { describe, expect, test } from "vitest";
import { loadConfig } from "../../../src/config/load.ts";
import { expandTemplates } from "../../../src/config/template.ts";
import type { ProjectConfig } from "../../../src/config/types.ts";
import { gitProject } from "../../support/project.ts";

async function load(files: Record<string, string>, env: Record<string, string> = {}): Promise<ProjectConfig> {
  const project = await gitProject(files);
  return loadConfig({ dir: project.dir, env });
}
const named = (c: ProjectConfig, name: string) => c.images.find((i) => i.name === name)!;

describe("werf's template engine documentation examples", () => {
  test("template files: .werf/artifact/*.tmpl included by their path inside .werf", async () => {
    const c = await load({
      "werf.yaml": `project: my-project
configVersion: 1
---
image: app
from: java:8-jdk-alpine
import:
- artifact: appserver
  add: '/usr/src/atsea/target/AtSea-0.0.1-SNAPSHOT.jar'
  to: '/app/AtSea-0.0.1-SNAPSHOT.jar'
  after: install
- artifact: storefront
  add: /usr/src/atsea/app/react-app/build
  to: /static
  after: install
---
{{ include "artifact/appserver.tmpl" . }}
---
{{ include "artifact/storefront.tmpl" . }}
`,
      ".werf/artifact/appserver.tmpl": "artifact: appserver\nfrom: maven:latest\nshell:\n  install:\n  - cd /usr/src/atsea\n",
      ".werf/artifact/storefront.tmpl": "artifact: storefront\nfrom: node:latest\nshell:\n  install:\n  - cd /usr/src/atsea/app/react-app\n  - npm install\n",
    });
    expect(c.images.map((i) => `${i.kind}:${i.name}:${i.from}`)).toEqual(["image:app:java:8-jdk-alpine", "artifact:appserver:maven:latest", "artifact:storefront:node:latest"]);
    expect(named(c, "storefront").shell.install).toEqual(["cd /usr/src/atsea/app/react-app", "npm install"]);
  });

  // The page's example has no `---` between partials; yaml.v2 (werf) refuses the duplicate keys as well.
  test("tpl over .Files.Glob: project files as config partials, with set on the root context and a shared define", async () => {
    const partial = (name: string) => `image: ${name}
from: {{ .BaseImage }}
shell:
  install:
  - cd /app/${name}
{{- include "common install commands" . | indent 2 }}
`;
    const c = await load({
      "werf.yaml": `{{ $_ := set . "BaseImage" "node:14.3" }}
project: app
configVersion: 1
---
{{ range $path, $content := .Files.Glob "**/werf-partial.yaml" }}
---
{{ tpl $content $ }}
{{ end }}

{{- define "common install commands" }}
- npm install
- npm run build
{{- end }}
`,
      "backend/werf-partial.yaml": partial("backend"),
      "frontend/werf-partial.yaml": partial("frontend"),
    });
    expect(c.images.map((i) => [i.name, i.from, i.shell.install])).toEqual([
      ["backend", "node:14.3", ["cd /app/backend", "npm install", "npm run build"]],
      ["frontend", "node:14.3", ["cd /app/frontend", "npm install", "npm run build"]],
    ]);
  });

  test(".Files.Get with indent puts a file into a heredoc", async () => {
    const c = await load({
      "werf.yaml": `project: my-project
configVersion: 1
---
image: app
from: alpine
shell:
  setup:
  - |
    head -c -1 <<'EOF' > /etc/nginx/nginx.conf
{{ .Files.Get ".werf/nginx.conf" | indent 4 }}
    EOF
`,
      ".werf/nginx.conf": "events {}\nhttp {\n  server {}\n}\n",
    });
    expect(named(c, "app").shell.setup).toEqual(["head -c -1 <<'EOF' > /etc/nginx/nginx.conf\nevents {}\nhttp {\n  server {}\n}\n\nEOF\n"]);
  });

  test(".Files.Glob with braces and base: one heredoc per matched file", async () => {
    const project = await gitProject({
      "modules/a/images/x/Dockerfile": "FROM a",
      "modules/b/images/y/werf.inc.yaml": "k: v",
      "modules/b/images/y/other.txt": "no",
    });
    const out = expandTemplates(`{{ range $path, $content := .Files.Glob "modules/*/images/*/{Dockerfile,werf.inc.yaml}" }}[{{ base $path }}:{{ $content }}]{{ end }}`, "werf.yaml", {}, { dir: project.dir });
    expect(out).toBe("[Dockerfile:FROM a][werf.inc.yaml:k: v]");
  });

  test(".Commit.Date.Unix to rebuild the whole image every month", async () => {
    const project = await gitProject({
      "werf.yaml": "project: p\nconfigVersion: 1\n---\nimage: app\nfrom: ubuntu\nfromCacheVersion: {{ div .Commit.Date.Unix (mul 60 60 24 30) }}\n",
    });
    const unix = Number(await project.git("log", "-1", "--format=%ct"));
    const c = await loadConfig({ dir: project.dir, env: {} });
    expect(named(c, "app").fromCacheVersion).toBe(String(Math.trunc(unix / (60 * 60 * 24 * 30))));
  });
});
