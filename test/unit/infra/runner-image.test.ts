/** Static checks of the node image recipe and the bootstrap; the bootstrap's behaviour is tested in test/integration/runner-image. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBootstrap, renderBootstrap, SETTINGS_MARKER } from "../../../infra/userdata.ts";

const file = (p: string) => readFileSync(new URL(`../../../runner-image/${p}`, import.meta.url), "utf8");
const path = (p: string) => new URL(`../../../runner-image/${p}`, import.meta.url).pathname;

/** Shell scripts must be shellcheck-clean (POSIX sh). shellcheck is a system package (apt-get install shellcheck). */
function shellcheck(p: string): string {
  try {
    execFileSync("shellcheck", ["-s", "sh", path(p)], { encoding: "utf8" });
    return "";
  } catch (err) {
    const e = err as { code?: string; stdout?: string; message: string };
    if (e.code === "ENOENT") throw new Error("shellcheck is not installed: apt-get install -y shellcheck");
    return e.stdout || e.message;
  }
}

describe("bootstrap script", () => {
  const script = readBootstrap();
  const lines = script.split("\n");
  const firstLine = (re: RegExp) => lines.findIndex((l) => re.test(l));

  it("is shellcheck-clean POSIX sh", () => {
    expect(lines[0]).toBe("#!/bin/sh");
    expect(shellcheck("bootstrap.sh")).toBe("");
  });

  it("never traces commands (the token would be printed)", () => {
    const code = lines.filter((l) => !/^\s*#/.test(l)).join("\n");
    expect(code).not.toMatch(/set\s+-[a-z]*x|set\s+-o\s+xtrace|bash\s+-x/);
    expect(code).not.toMatch(/(echo|printf|log)[^\n]*\$\{?runner_token/);
  });

  it("arms the hard lifetime and the EXIT trap before any network call", () => {
    const lifetime = firstLine(/sleep "\$SLIPWAY_LIFETIME_SECONDS"/);
    const trap = firstLine(/^trap finish EXIT/);
    const firstCall = Math.min(firstLine(/^main$/), firstLine(/^\s+curl /), firstLine(/^\s+aws ssm/));
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThan(trap);
    expect(trap).toBeLessThan(firstCall);
    expect(script).toMatch(/run-single --url "\$SLIPWAY_GITLAB_URL" --token "\$runner_token"/);
    expect(script).toMatch(/--executor shell --max-builds 1 --wait-timeout "\$SLIPWAY_WAIT_TIMEOUT"/);
  });

  it("renders settings in place of the marker, quoted, and refuses secrets", () => {
    const out = renderBootstrap(script, { SLIPWAY_GITLAB_URL: "https://g.example.com/it's", SLIPWAY_LIFETIME_SECONDS: 60 });
    expect(out).not.toContain(SETTINGS_MARKER);
    expect(out).toContain(`SLIPWAY_GITLAB_URL='https://g.example.com/it'\\''s'\nSLIPWAY_LIFETIME_SECONDS='60'`);
    expect(() => renderBootstrap(script, { SLIPWAY_RUNNER_TOKEN: "glrt-x" })).toThrow(/secret/);
    expect(() => renderBootstrap(script, { "bad name": "x" })).toThrow(/bad node setting/);
    expect(() => renderBootstrap("#!/bin/sh\n", {})).toThrow(/marker/);
  });
});

describe("node image recipe", () => {
  const hcl = file("node.pkr.hcl");
  const install = file("install.sh");

  it("is a Packer amazon-ebs build with IMDSv2 that runs install.sh", () => {
    expect(hcl).toMatch(/source "amazon-ebs" "node"/);
    expect(hcl).toMatch(/http_tokens\s*=\s*"required"/);
    expect(hcl).toMatch(/script\s*=\s*"\$\{path.root\}\/install.sh"/);
    expect(hcl).toMatch(/variable "slipway_tarball"/);
  });

  it("installs Docker, git, gitlab-runner, Node and slipway, and leaves nothing listening", () => {
    expect(shellcheck("install.sh")).toBe("");
    expect(install).toMatch(/dnf -y install docker git/);
    expect(install).toMatch(/gitlab-runner-linux-/);
    expect(install).toMatch(/nodejs\.org\/dist/);
    expect(install).toMatch(/npm install --global [^\n]*SLIPWAY_TARBALL/);
    expect(install).toMatch(/systemctl disable sshd\.service/);
    expect(install).toMatch(/unexpected listening sockets/);
    expect(install).not.toMatch(/gitlab-runner (install|start|register)/);
  });
});
