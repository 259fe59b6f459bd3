/**
 * A werf.yaml built through its templates on a real engine: a `.werf/` partial included,
 * a project file put in by `.Files.Get`, a `range`, and `.Env` from `--env`.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { run } from "../../../src/util/process.ts";
import { slipway, slipwayJson } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";

let engine: PrivateEngine;
let registry: LocalRegistry;
let env: Record<string, string>;
let base: string;

let world: BuildWorld;
beforeAll(async () => {
  world = await buildWorld();
  ({ engine, registry, base, env } = world);
});

afterAll(() => world?.stop());

test("includes, .Files.Get, range and --env render into the image werf would build", async () => {
  const project = await gitProject({
    "werf.yaml": `{{ $greeting := "hello" }}project: templated
configVersion: 1
---
image: app
from: {{ env "BASE" }}
shell:
  install:
{{ include "install-steps.tmpl" (dict "greeting" $greeting "root" $) | indent 2 }}
docker:
  ENV:
    MODE: {{ .Env | default "dev" }}
  CMD: ["cat", "/etc/app.conf", "/steps.txt"]
`,
    ".werf/install-steps.tmpl": `- |
  cat > /etc/app.conf <<'EOF'
{{ .root.Files.Get "conf/app.conf" | indent 2 }}
  EOF
{{- range $i, $step := list "one" "two" }}
- echo "{{ $.greeting }} {{ $i }} {{ $step }}" >> /steps.txt
{{- end }}`,
    "conf/app.conf": "listen=8080\nname=templated",
  });
  const report = await slipwayJson(["build", "--dir", project.dir, "--env", "production"], { env: { ...env, BASE: base } });
  const ref = report.images[0].ref;
  const docker = async (...args: string[]) => {
    const res = await run("/usr/bin/docker", args, { env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST } });
    expect(res.code, res.stderr).toBe(0);
    return res.stdout;
  };
  expect(await docker("run", "--rm", "--network", "none", ref)).toBe("listen=8080\nname=templated\nhello 0 one\nhello 1 two\n");
  const config = JSON.parse(await docker("image", "inspect", ref, "--format", "{{json .Config}}"));
  expect(config.Env).toContain("MODE=production");
});

test("a template error is a config error: file:line:column on stderr, exit code 2, with --env deciding", async () => {
  const project = await gitProject({
    "werf.yaml": `project: p\nconfigVersion: 1\n---\nimage: a\nfrom: {{ if eq .Env "broken" }}{{ fail "no base for broken" }}{{ end }}${base}\n`,
  });
  const res = await slipway(["plan", "--dir", project.dir, "--env", "broken"], { env });
  expect(res.code).toBe(2);
  expect(res.stderr).toContain('werf.yaml:5:35: at <fail "no base for broken">: error calling fail: no base for broken');
  const ok = await slipwayJson(["plan", "--dir", project.dir, "--env", "fine"], { env });
  expect(ok.images.map((i) => i.name)).toEqual(["a"]);
});
