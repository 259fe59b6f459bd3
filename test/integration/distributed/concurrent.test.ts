/**
 * `bp` builds independent images at the same time, as `build` does, and still reports
 * each stage's own bytes: the counts come from the stage's own transfers, not from
 * differences of the registry client's running totals.
 */
import { describe, expect, test } from "vitest";
import type { BuildReport } from "../../../src/build/report.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { parseManifest } from "../../../src/image/index.ts";
import { slipway } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { scratchDir, testEngine, withRegistryAndBase } from "../../support/services.ts";
import { client, pullAndRun } from "./support.ts";

let registry: LocalRegistry;
let base: string;

withRegistryAndBase((r, b) => ((registry = r), (base = b)));

/** An image whose install writes `kib` KiB of incompressible bytes, slowly. */
function image(name: string, kib: number, extra = ""): string {
  return `---
image: ${name}
from: ${base}
shell:
  install:
  - sleep 2
  - head -c ${kib * 1024} /dev/urandom > /${name}.bin
${extra}`;
}

async function bp(dir: string, repo: string) {
  await using node = await testEngine();
  const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), CI_COMMIT_REF_NAME: "main" };
  const res = await slipway(["bp", repo, "--tag-ci", "--dir", dir, "--json"], { env });
  if (res.code !== 0) throw new Error(`bp exited ${res.code}:\n${res.stderr}`);
  return { report: JSON.parse(res.stdout) as BuildReport, stderr: res.stderr };
}

/** Lines of the human progress on stderr, as "<event> <image> <stage>". */
function events(stderr: string): string[] {
  return stderr.split("\n").flatMap((line) => {
    const m = /^\[([^\]]+)\] (\S+) \S+ (building|built|appended|registry|local|pulled)/.exec(line);
    return m ? [`${m[3] === "building" ? "start" : "end"} ${m[1]} ${m[2]}`] : [];
  });
}

describe("bp builds independent images concurrently", () => {
  test("two images' command stages overlap, and each stage reports the bytes of its own layer", async () => {
    const project = await gitProject({ "slipway.yaml": `project: overlap\nconfigVersion: 1\n${image("small", 256)}${image("large", 2048)}` });
    const repo = `${registry.host}/overlap`;
    const { report, stderr } = await bp(project.dir, repo);
    const seen = events(stderr);
    // Sequentially, the second image's install would start only after the first's ended.
    const ends = seen.indexOf("end small install");
    const starts = seen.indexOf("start large install");
    expect(ends).toBeGreaterThan(-1);
    expect(starts).toBeGreaterThan(-1);
    expect(starts).toBeLessThan(ends);
    const registryClient = client(registry);
    for (const name of ["small", "large"]) {
      const install = report.images.find((i) => i.name === name)!.stages.find((s) => s.name === "install")!;
      expect(install.status).toBe("built");
      const stored = parseManifest((await registryClient.getManifest("overlap", `stage-${install.digest}`))!.body);
      const layer = stored.layers.at(-1)!.size;
      // The stage's own layer (and its config when slipway uploads it), nothing of the other image's.
      expect([layer, layer + stored.config.size]).toContain(install.bytesPushed);
    }
    const stageBytes = report.images.flatMap((i) => i.stages).reduce((n, s) => n + s.bytesPushed, 0);
    expect(report.totals.bytesPushed).toBeGreaterThanOrEqual(stageBytes);
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}/large:main`, ["sh", "-c", "wc -c < /large.bin"])).toBe(`${2048 * 1024}\n`);
  });

  test("an image importing from an artifact waits for the artifact's stage, not for the whole run", async () => {
    const artifact = `---
artifact: tool
from: ${base}
shell:
  install: ["sleep 1", "echo tool > /tool.txt"]
`;
    const consumer = image("app", 64, `import:
- artifact: tool
  add: /tool.txt
  to: /opt/tool.txt
  before: setup
`);
    const project = await gitProject({ "slipway.yaml": `project: waits\nconfigVersion: 1\n${artifact}${consumer}` });
    const repo = `${registry.host}/waits`;
    const { report, stderr } = await bp(project.dir, repo);
    const seen = events(stderr);
    // The image's own install runs beside the artifact's; only its import waits.
    expect(seen.indexOf("start app install")).toBeGreaterThan(-1);
    expect(seen.indexOf("start app install")).toBeLessThan(seen.indexOf("end tool install"));
    expect(seen.indexOf("end tool install")).toBeLessThan(seen.findIndex((e) => e.startsWith("start app") && e.includes("mport")));
    const app = report.images.find((i) => i.name === "app")!;
    expect(app.stages.find((s) => s.name === "install")!.status).toBe("built");
    await using other = await testEngine();
    expect(await pullAndRun(other.socketPath, `${repo}/app:main`, ["cat", "/opt/tool.txt"])).toBe("tool\n");
  });
});
