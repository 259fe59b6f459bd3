import { describe, expect, it } from "vitest";
import { CACHE_VERSION } from "../../../src/build/digest.ts";
import { buildLayer } from "../../../src/build/layer.ts";
import { LABELS, stageRef } from "../../../src/build/names.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { CleanupReport } from "../../../src/cleanup/types.ts";
import { gitProject } from "../../support/project.ts";
import { testEngine } from "../../support/services.ts";
import { cli, disposeCli } from "./scenario.ts";

describe("stages cleanup local on a real engine", () => {
  it("removes stages of an old cache version and of vanished commits, keeps current ones", async () => {
    const project = await gitProject({ "slipway.yaml": "project: demo\nconfigVersion: 1\n---\nimage: api\nfrom: busybox\n" });
    const head = await project.git("rev-parse", "HEAD");
    await using node = await testEngine();
    const engine = new DockerEngine({ socketPath: node.socketPath });
    const layer = await buildLayer([{ type: "file", path: "/x", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("x") }]);
    const load = async (digest: string, labels: Record<string, string>) => {
      const all = { [LABELS.project]: "demo", [LABELS.digest]: digest, [LABELS.cacheVersion]: CACHE_VERSION, [LABELS.gitCommit]: head, ...labels };
      await engine.loadImage({ architecture: "amd64", os: "linux", config: { Labels: all }, rootfs: { type: "layers", diff_ids: [layer.diffId] } }, [layer], [stageRef("demo", digest)]);
    };
    await load("a".repeat(64), {});
    await load("b".repeat(64), { [LABELS.cacheVersion]: "slipway-stage-v0" });
    await load("c".repeat(64), { [LABELS.gitCommit]: "f".repeat(40) });
    await load("d".repeat(64), { [LABELS.project]: "other" });
    try {
      const res = await cli(["stages", "cleanup", "local", "--improper-cache-version", "--improper-git-commit", "--dir", project.dir, "--json"], { DOCKER_HOST: `unix://${node.socketPath}` });
      expect(res.code, res.stderr).toBe(0);
      const report = JSON.parse(res.stdout) as CleanupReport;
      expect(report.totals).toEqual({ kept: 1, deleted: 2, failed: 0 });
      for (const [c, present] of [["a", true], ["b", false], ["c", false], ["d", true]] as const) {
        // d carries another project's label: not ours to judge, even under our name.
        expect(!!(await engine.inspectImage(stageRef("demo", c.repeat(64)))), c).toBe(present);
      }
    } finally {
      await disposeCli();
    }
  }, 120_000);
});
