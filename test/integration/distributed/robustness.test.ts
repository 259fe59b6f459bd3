import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { createRegistry, staticCredentials } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { pushBaseImage } from "../../support/base-image.ts";
import { slipway, slipwayJson } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { scratchDir, testEngine, testRegistry } from "../../support/services.ts";
import { startProxy, type Fault } from "../registry/proxy.ts";
import { assertComplete } from "./support.ts";

const USER = "slipway";
const PASS = "s3cret-pass";

function config(base: string): string {
  return `project: robust
configVersion: 1
---
image: web
from: ${base}
git:
- add: /
  to: /app
  stageDependencies:
    install: [deps.txt]
shell:
  install: ["cat /app/deps.txt > /deps.txt"]
docker:
  CMD: ["cat", "/deps.txt"]
`;
}

describe("registries that need credentials", () => {
  let registry: LocalRegistry;
  beforeAll(async () => {
    registry = await testRegistry({ htpasswd: await readFile(new URL("../registry/fixtures/htpasswd", import.meta.url), "utf8") });
  });
  afterAll(async () => registry?.stop());

  test("bp authenticates the client and the engine from the Docker config.json", async () => {
    const credentials = staticCredentials({ username: USER, password: PASS });
    await using seed = await testEngine();
    const base = `${registry.host}/base/busybox:1`;
    await pushBaseImage(new DockerEngine({ socketPath: seed.socketPath, credentials }), base);
    const dockerConfig = await scratchDir("slipway-docker-config-");
    await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASS}`).toString("base64") } } }));
    const project = await gitProject({ "slipway.yaml": config(base), "deps.txt": "dep\n" });
    await using node = await testEngine();
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, DOCKER_CONFIG: dockerConfig, SLIPWAY_HOME: await scratchDir() };
    const report = await slipwayJson(["bp", `${registry.host}/robust`, "--tag", "main", "--dir", project.dir], { env });
    expect(report.images[0].manifestDigest).toMatch(/^sha256:/);
    const denied = await slipway(["bp", `${registry.host}/robust`, "--tag", "main", "--dir", project.dir], { env: { ...env, DOCKER_CONFIG: await scratchDir() } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/401|unauthorized|authentication/i);
    await assertComplete(createRegistry({ host: registry.host, credentials }), "robust/web", "main");
  });
});

describe("a faulty network between node and registry", () => {
  let registry: LocalRegistry;
  let baseRepo: string;
  beforeAll(async () => {
    registry = await testRegistry();
    await using seed = await testEngine();
    baseRepo = "base/busybox";
    await pushBaseImage(new DockerEngine({ socketPath: seed.socketPath }), `${registry.host}/${baseRepo}:1`);
  });
  afterAll(async () => registry?.stop());

  async function job(fault: (req: { method: string; url: string; n: number }) => Fault, deps: string) {
    await using proxy = await startProxy({ target: registry.host, fault });
    const project = await gitProject({ "slipway.yaml": config(`${proxy.host}/${baseRepo}:1`), "deps.txt": deps });
    await using node = await testEngine();
    const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir() };
    return await slipway(["bp", `${proxy.host}/faulty`, "--tag", deps.trim(), "--dir", project.dir, "--json"], { env });
  }

  async function everyTagComplete() {
    const reg = createRegistry({ host: registry.host });
    for (const repo of ["faulty", "faulty/web"]) for (const tag of await reg.listTags(repo)) await assertComplete(reg, repo, tag);
  }

  test("transient 500s, 429s and dropped connections from slipway's client still give a correct build", async () => {
    const faults: Fault[] = [{ status: 500 }, { status: 429, retryAfter: "0" }, "drop"];
    // Every 4th request (slipway's client and the engine alike) fails; uploads themselves are left alone.
    const res = await job(({ n, url }) => (n % 4 === 0 && n < 60 && !url.includes("/uploads/") ? faults[(n / 4) % 3] : "pass"), "one\n");
    expect(res.code, res.stderr).toBe(0);
    await everyTagComplete();
  });

  test("a registry that keeps failing manifest writes gives a clean failure and no tag on an incomplete image", async () => {
    const res = await job(({ method, url }) => (method === "PUT" && url.includes("/manifests/") ? { status: 500 } : "pass"), "two\n");
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/slipway: .*500/);
    await everyTagComplete();
  });
});
