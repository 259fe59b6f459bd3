/**
 * Real configs that use templates (sources named in each fixture) render into the
 * images werf would build. test/unit/build/fixtures-plan.test.ts plans every fixture too.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadConfig } from "../../../src/config/load.ts";
import type { ProjectConfig } from "../../../src/config/types.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/configs");
const load = (name: string, env: Record<string, string> = {}) => loadConfig({ dir: join(FIXTURES, name), env });
const named = (c: ProjectConfig, name: string) => c.images.find((i) => i.name === name)!;

describe("real configs with templates", () => {
  test("community-indexer-werf: env inside shell commands", async () => {
    const c = await load("community-indexer-werf", { CI_JOB_TOKEN: "t0k" });
    expect(named(c, "builder").shell.install[0]).toBe('git config --global url."https://gitlab-ci-token:t0k@gitlab.com/".insteadOf https://gitlab.com/');
    expect(named(c, "service").imports[0]).toMatchObject({ from: "builder", stage: "afterSetup" });
  });

  test("werf-docs-template-dir: artifacts from .werf/artifact/*.tmpl", async () => {
    const c = await load("werf-docs-template-dir");
    expect(c.images.map((i) => `${i.kind}:${i.name}`)).toEqual(["image:app", "artifact:appserver", "artifact:storefront"]);
    expect(named(c, "appserver").git[0]).toMatchObject({ add: "/app", to: "/usr/src/atsea" });
    expect(named(c, "app").imports.map((i) => i.from)).toEqual(["appserver", "storefront"]);
  });

  test("werf-docs-tpl-partials: project files rendered with tpl, a define shared with them", async () => {
    const c = await load("werf-docs-tpl-partials");
    expect(c.images.map((i) => [i.name, i.from, i.git[0].add, i.shell.install])).toEqual([
      ["backend", "node:14.3", "/backend", ["cd /app/backend", "npm install", "npm run build"]],
      ["frontend", "node:14.3", "/frontend", ["cd /app/frontend", "npm install", "npm run build"]],
    ]);
  });
});
