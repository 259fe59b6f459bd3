import { beforeAll, describe, expect, it } from "vitest";
import { slipway } from "../../support/cli.ts";
import { gitProject, type GitProject } from "../../support/project.ts";
import { scratchDir } from "../../support/services.ts";

/**
 * Every command that takes the stages REPO refuses the same REPOs with the same message
 * and exit 2, before it touches an engine or a registry (none runs here).
 */
const COMMANDS: Array<(repo: string) => string[]> = [
  (repo) => ["bp", repo, "--tag", "x"],
  (repo) => ["push", repo, "--tag", "x"],
  (repo) => ["stages", "pull", repo],
  (repo) => ["stages", "push", repo],
  (repo) => ["plan", "--repo", repo],
  (repo) => ["cleanup", "repo", repo, "--dry-run", "--no-kube", "--git-refs", "local"],
];

let app: GitProject;
let env: Record<string, string>;
beforeAll(async () => {
  app = await gitProject({ "slipway.yaml": "project: agree\nconfigVersion: 1\n---\nimage: app\nfrom: localhost:5999/base:1\n" });
  env = { DOCKER_HOST: "unix:///nonexistent/docker.sock", SLIPWAY_HOME: await scratchDir("slipway-home-"), DOCKER_CONFIG: await scratchDir("slipway-docker-") };
});

describe("REPO on the command line", () => {
  it.each([
    ["team/app", /REPO must start with a registry host/],
    ["localhost:5000/app:latest", /REPO must not carry a tag or digest/],
    ["localhost:5000/App", /REPO has an invalid repository path/],
  ])("%s is refused alike by bp, push, stages pull|push, plan --repo and cleanup repo", async (repo, message) => {
    for (const args of COMMANDS) {
      const res = await slipway([...args(repo), "--dir", app.dir], { env });
      expect({ args: args(repo).join(" "), code: res.code }).toEqual({ args: args(repo).join(" "), code: 2 });
      expect(res.stderr).toMatch(message);
    }
  });
});
