/**
 * RUN --mount=type=secret|ssh on a real engine and registry, for a Dockerfile-only
 * project with docker build's --secret and --ssh: the values and the agent reach only
 * the RUN that mounts them, nothing of them is in a pushed blob, the report or the
 * log, their mount points leave nothing in the image, and rotating a value rebuilds nothing.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { BuildReport } from "../../../src/build/report.ts";
import { slipway } from "../../support/cli.ts";
import { everyBlob } from "../../support/registry-blobs.ts";
import { type BuildWorld, buildWorld, scratchDir } from "../../support/services.ts";
import { unixClientBase } from "../../support/unix-client.ts";
import { pullAndRun } from "../distributed/support.ts";
import { contextDir, fileTree } from "./support.ts";

let world: BuildWorld;
let base: string;
beforeAll(async () => {
  world = await buildWorld();
  base = await unixClientBase(world);
});
afterAll(() => world?.stop());

const DOCKERFILE = `ARG BASE
FROM \${BASE}
RUN --mount=type=secret,id=token sha256sum /run/secrets/token | cut -d' ' -f1 > /token.sha && echo "token: $(cat /run/secrets/token)"
RUN --mount=type=secret,id=token,env=TOKEN,target=/etc/app/token.txt,mode=0440,uid=1000,gid=1000 \\
    stat -c '%a %u:%g' /etc/app/token.txt > /stat.txt && test "$TOKEN" = "$(cat /etc/app/token.txt)" && echo env-ok >> /stat.txt
RUN --mount=type=ssh unix-client "$SSH_AUTH_SOCK" > /agent.txt
RUN --mount=type=secret,id=absent,required=false test ! -e /run/secrets/absent && test ! -e /run/secrets/token && echo skipped > /skipped.txt
CMD ["cat", "/token.sha", "/stat.txt", "/agent.txt", "/skipped.txt"]
`;

describe("Dockerfile secret and ssh mounts", () => {
  test("reach their RUN only; in no blob, report or log line; no mount point in the image; rotation rebuilds nothing", async () => {
    const agentPath = join(await scratchDir("slipway-agent-"), "agent.sock");
    const agent = createServer((c) => c.on("data", () => c.end("agent-reply\n")));
    await new Promise<void>((r) => agent.listen(agentPath, r));
    try {
      const dir = await contextDir({ Dockerfile: DOCKERFILE });
      const repo = `${world.registry.host}/df-secrets`;
      const token = "glpat-Secret-Value-0042";
      const run = (value: string) => slipway(["bp", repo, "--tag", "v1", "--dir", dir, "--build-arg", `BASE=${base}`, "--secret", "id=token,env=MY_TOKEN", "--ssh", `default=${agentPath}`, "--json"], {
        env: { ...world.env, MY_TOKEN: value },
      });
      const first = await run(token);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain("token: ****");
      expect(first.stdout + first.stderr).not.toContain(token);
      const sha = createHash("sha256").update(token).digest("hex");
      expect(await pullAndRun(world.engine.socketPath, `${repo}:v1`)).toBe(`${sha}\n440 1000:1000\nenv-ok\nagent-reply\nskipped\n`);
      for (const blob of await everyBlob(world.registry)) expect(blob.data.includes(token), blob.name).toBe(false);
      const tree = await fileTree(world.engine.socketPath, `${repo}:v1`);
      expect(Object.keys(tree).filter((p) => /^(run|etc\/app)(\/|$)/.test(p))).toEqual([]);
      const rotated = await run("another-value-after-rotation");
      expect(rotated.code, rotated.stderr).toBe(0);
      expect((JSON.parse(rotated.stdout) as BuildReport).totals.containersRun).toBe(0);
    } finally {
      agent.close();
    }
  });

  test("a secret id nobody gives: exit 2 at the RUN's line, nothing published", async () => {
    const dir = await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN true\nRUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc\n` });
    const repo = `${world.registry.host}/df-secrets-missing`;
    const res = await slipway(["bp", repo, "--tag", "v1", "--dir", dir, "--build-arg", `BASE=${base}`], { env: world.env });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/Dockerfile:4: RUN --mount=type=secret,id=npmrc: no secret "npmrc" is given/);
    expect((await fetch(`http://${world.registry.host}/v2/df-secrets-missing/tags/list`)).status).toBe(404);
    const file = await slipway(["build", "--dir", dir, "--build-arg", `BASE=${base}`, "--secret", "id=npmrc,src=/nonexistent/npmrc"], { env: world.env });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain("--secret id=npmrc: file /nonexistent/npmrc does not exist");
  });
});

describe("secrets: of a dockerfile: image in werf.yaml", () => {
  test("werf's forms give the values its RUN mounts read", async () => {
    const dir = await contextDir({
      "werf.yaml": `project: dfw\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\nargs:\n  BASE: ${base}\nsecrets:\n- env: DEPLOY_KEY\n- id: plain\n  value: literal-secret-xyz\n`,
      Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN --mount=type=secret,id=DEPLOY_KEY --mount=type=secret,id=plain,env=PLAIN cat /run/secrets/DEPLOY_KEY > /k.txt && echo "$PLAIN" | wc -c > /p.txt\nCMD ["cat", "/k.txt", "/p.txt"]\n`,
    });
    const repo = `${world.registry.host}/df-werf-secrets`;
    const res = await slipway(["bp", repo, "--tag", "v1", "--dir", dir, "--json"], { env: { ...world.env, DEPLOY_KEY: "deploy-key-value" } });
    expect(res.code, res.stderr).toBe(0);
    expect(await pullAndRun(world.engine.socketPath, `${repo}/app:v1`)).toBe("deploy-key-value19\n"); // the value as given (no newline), then the 18-character literal and echo's newline
    for (const blob of await everyBlob(world.registry)) expect(blob.data.includes("literal-secret-xyz"), blob.name).toBe(false);
  });
});
