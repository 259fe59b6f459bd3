/**
 * Real-world config shapes (see the source noted at the top of each fixture) parse into
 * the facts the builder relies on.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadConfig } from "../../../src/config/load.ts";
import type { ProjectConfig } from "../../../src/config/types.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/configs");
const load = (name: string, env: Record<string, string> = {}) => loadConfig({ dir: join(FIXTURES, name), env });
const named = (c: ProjectConfig, name: string) => c.images.find((i) => i.name === name)!;
const summary = (c: ProjectConfig) => c.images.map((i) => `${i.kind}:${i.name}`);

describe("fixtures from real projects", () => {
  test("atsea-dappfile: dimgs importing two artifacts, build_dir mount, no meta", async () => {
    const c = await load("atsea-dappfile");
    expect(c.project).toBe("atsea-dappfile");
    expect(summary(c)).toEqual(["image:app", "artifact:storefront", "artifact:appserver", "image:reverse-proxy", "image:payment-gateway", "image:database"]);
    expect(named(c, "app").imports.map((i) => [i.from, i.fromKind, i.stage, i.to])).toEqual([
      ["appserver", "artifact", "afterInstall", "/app/AtSea-0.0.1-SNAPSHOT.jar"],
      ["storefront", "artifact", "afterInstall", "/static"],
    ]);
    expect(named(c, "app").docker.entrypoint).toEqual(["java", "-jar", "/app/AtSea-0.0.1-SNAPSHOT.jar"]);
    expect(named(c, "storefront").git[0].stageDependencies).toEqual({ install: ["package.json"], setup: ["src", "public"] });
    expect(named(c, "appserver").mounts).toMatchObject([{ from: "build_dir", to: "/usr/share/maven/ref/repository" }]);
    expect(named(c, "payment-gateway").docker.cmd).toEqual(["/bin/sh", "-c", "/home/payment/process.sh"]);
    expect(named(c, "database").git.map((g) => [g.add, g.to])).toContainEqual(["/database/docker-entrypoint-initdb.d", "/docker-entrypoint-initdb.d"]);
  });

  test("tenis-werf: image imported before install, numeric fromCacheVersion", async () => {
    const c = await load("tenis-werf");
    expect(c.project).toBe("tenis");
    expect(summary(c)).toEqual(["image:backend", "image:frontend-build", "image:frontend", "image:mongodb"]);
    expect(named(c, "frontend").imports[0]).toMatchObject({ from: "frontend-build", fromKind: "image", stage: "beforeInstall", add: "/app/build" });
    expect(named(c, "backend")).toMatchObject({ fromCacheVersion: "1", git: [{ add: "/backend", excludePaths: ["LICENSE", "**.sh"] }] });
    expect(named(c, "frontend-build").git[0].stageDependencies.setup).toEqual(["**/*"]);
  });

  test("go-artifact-werf: artifact with mounts, includePaths, env templates, folded command", async () => {
    const c = await load("go-artifact-werf", { OS: "Linux", RELEASE: "1.2.3" });
    const app = named(c, "app");
    expect(app.kind).toBe("artifact");
    expect(app.mounts.map((m) => [m.from, m.fromPath, m.to])).toEqual([["build_dir", undefined, "/go/pkg"], ["path", "/run", "/tmp/docker"]]);
    expect(app.git[0].includePaths).toEqual(["*.go", "pkg", "cmd", "internal", "go.mod", "go.sum"]);
    expect(app.git[0].stageDependencies.beforeSetup).toEqual(["*.go", "pkg", "cmd", "internal"]);
    expect(app.shell.beforeSetup[1]).toBe("DOCKER_HOST=unix:///tmp/docker/docker.sock OS=Linux go test ./...");
    expect(app.shell.setup[1]).toBe('CGO_ENABLED=0 GOOS=linux go build -v -a -o /app/template -ldflags "-X main.ServiceVersion=1.2.3"\n');
    expect(named(c, "template-sv").imports[0]).toMatchObject({ from: "app", add: "/app", to: "/app", stage: "afterInstall" });
    expect(named(c, "template-sv").docker.expose).toEqual(["80/tcp", "8080/udp"]);
  });

  test("blob-svc-werf: builder image imported after setup, shell-form ENTRYPOINT", async () => {
    const c = await load("blob-svc-werf");
    expect(c.project).toBe("backend");
    expect(named(c, "builder").shell.setup).toHaveLength(4);
    expect(named(c, "builder").shell.setup[3]).toBe("go build  -o /usr/local/bin/blob-svc  /go/src/blob-svc");
    expect(named(c, "service").docker.entrypoint).toEqual(["/bin/sh", "-c", "blob-svc"]);
    expect(named(c, "service").imports[0]).toMatchObject({ from: "builder", stage: "afterSetup" });
  });

  test("bridge-fromimage-chain: fromDimg chain, fromPath mount, USER/WORKDIR", async () => {
    const c = await load("bridge-fromimage-chain", { RELEASE: "7" });
    expect(named(c, "rpm")).toMatchObject({ fromImage: "component", docker: { user: "root:root", workdir: "/root", cmd: ["bash"] } });
    expect(named(c, "rpm").mounts[1]).toMatchObject({ from: "path", fromPath: "/home/psale/bridge/rpm", to: "/root/rpmbuild" });
    expect(named(c, "component").git[0]).toMatchObject({ owner: "databridge", group: "databridge", stageDependencies: { beforeSetup: ["*"] } });
    expect(named(c, "rpm").shell.beforeInstall[1]).toContain('--define "release 7"');
  });

  test("werf-fromimage-chain: three-image chain, every docker instruction, cleanup kept raw", async () => {
    const c = await load("werf-fromimage-chain");
    expect([named(c, "app").fromImage, named(c, "tests").fromImage]).toEqual(["base", "app"]);
    expect(c.cleanup).toMatchObject({ keepPolicies: [{ references: { branch: "/.*/" } }] });
    expect(named(c, "base")).toMatchObject({ fromCacheVersion: "2024-01", shell: { cacheVersion: "1" } });
    expect(named(c, "app").shell.stageCacheVersions).toEqual({ install: "3" });
    expect(named(c, "app").docker).toMatchObject({
      user: "www-data", workdir: "/app", volume: ["/app/data", "/var/log/app"], expose: ["8000/tcp"],
      env: { PYTHONUNBUFFERED: "1", APP_ENV: "production" }, entrypoint: ["python3", "-m", "shop"],
      healthcheck: { interval: "30s", timeout: "3s", retries: 3, test: ["CMD-SHELL", "curl -fsS http://localhost:8000/health || exit 1"] },
    });
  });

  test("iondv/studio: ansible npm and shell tasks (dapp), the artifact's tasks kept as written", async () => {
    const build = named(await load("iondv-ansible", { BUILD_IMAGE: "node:8.12-slim" }), "build");
    expect(build.ansible?.install.map((t) => [t.module, t.location.line])).toEqual([["npm", 16]]);
    expect(build.ansible?.beforeSetup[0].task).toEqual({ name: "gulp and npm", shell: "gulp assemble\n", args: { chdir: "/build" } });
  });

  test("werf e2e ansible configs: range over images, become_user, tasks from included templates", async () => {
    const general = await load("werf-e2e-ansible-general");
    expect(summary(general)).toEqual(["image:alpine-test", "image:ubuntu-test"]);
    expect(named(general, "alpine-test").ansible?.install.map((t) => t.module)).toEqual(["get_url", "unarchive", "unarchive", "group", "user", "copy", "replace"]);
    // Both images come from one range: their tasks name the lines written, not the rendered ones.
    expect(named(general, "ubuntu-test").ansible?.install.map((t) => t.location.line)).toEqual([12, 16, 20, 25, 29, 35, 41]);
    const become = named(await load("werf-e2e-ansible-become-user"), "");
    expect(become.ansible?.install[2].task).toMatchObject({ become: "yes", become_user: "testuser", args: { executable: "/bin/bash" } });
    const encoding = named(await load("werf-e2e-ansible-python-encoding"), "alpine-python3");
    expect(encoding.ansible?.install.map((t) => t.task.name)).toEqual(["Python requirements develop.txt", "Run script with utf8 chars"]);
  });

  test("dotplant-templates: include of a template defined further down the file", async () => {
    const c = await load("dotplant-templates");
    const app = named(c, "app");
    expect(app.git).toMatchObject([{ add: "/application", to: "/app", stageDependencies: { setup: ["**/*"] } }]);
    expect(app.shell.install).toEqual(["docker-php-ext-install -j$(nproc) pdo_mysql mysqli gd zip intl"]);
  });

  test("go-artifact-werf: variables, if/else on env, pipes to printf and default", async () => {
    const darwin = named(await load("go-artifact-werf", { OS: "Darwin", GOPATH: "/home/me/go", HOME: "/home/me" }), "app");
    expect(darwin.mounts.map((m) => [m.from, m.fromPath, m.to])).toEqual([
      ["path", "/home/me/go/pkg", "/go/pkg"], ["path", "/var/run", "/tmp/docker"], ["path", "/home/me/.ssh", "/root/.ssh"],
    ]);
    expect(darwin.shell.setup[1]).toContain("main.ServiceVersion=dirty");
  });
});
