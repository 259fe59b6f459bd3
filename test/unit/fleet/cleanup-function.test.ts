import { describe, expect, it } from "vitest";
import cleanup from "../../../functions/cleanup/index.ts";
import { lambdaCleanupEnv } from "../../../functions/cleanup/lambda.ts";
import { ociDeleter } from "../../../src/cleanup/delete.ts";
import { registryCleanup } from "../../../src/functions-config/cleanup.ts";
import { parseFunctionsConfig } from "../../../src/functions-config/config.ts";
import { cleanupEnv } from "../../../src/functions-config/envs.ts";
import { MemoryRegistry } from "../../../src/registry/memory.ts";
import { publishChain, publishImage } from "../../support/synthetic-images.ts";

const HOUR = 3_600_000;
const TOKEN = "glpat-cleanup";
const tick = { scheduledTime: Date.now() };

/** GitLab's repository branches/tags API for a few projects; checks the token, records the URLs. */
function gitlabRefsApi(branches: Record<number, string[]>) {
  const urls: string[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    urls.push(url.pathname);
    if (new Headers(init?.headers).get("private-token") !== TOKEN) return new Response("{}", { status: 401 });
    const m = /^\/api\/v4\/projects\/(\d+)\/repository\/(branches|tags)$/.exec(url.pathname);
    if (!m) return new Response("{}", { status: 404 });
    const names = m[2] === "branches" ? (branches[Number(m[1])] ?? []) : [];
    return Response.json(names.map((name) => ({ name, commit: { id: "a".repeat(40), committed_date: new Date().toISOString() } })));
  }) as typeof fetch;
  return { fetch: fetchImpl, urls };
}

/** REPO "shop/app" with the nameless image (infra's single ECR repository): main alive, gone deleted. */
async function registryWithBranches() {
  const registry = new MemoryRegistry("registry.test:5000");
  const [from, mainStage] = await publishChain(registry, "shop/app", [{ name: "from", key: "base" }, { name: "install", key: "main" }]);
  const [goneStage] = await publishChain(registry, "shop/app", [{ name: "install", key: "gone" }], from);
  const created = new Date(Date.now() - 5 * HOUR);
  await publishImage(registry, "shop/app", { image: "", tag: "main", last: mainStage, created });
  await publishImage(registry, "shop/app", { image: "", tag: "gone", last: goneStage, created });
  return registry;
}

const config = (extra: Record<string, string> = {}) =>
  parseFunctionsConfig({ GITLAB_URL: "https://gitlab.test", GITLAB_TOKEN: TOKEN, SLIPWAY_REPO: "registry.test:5000/shop/app", SLIPWAY_PROJECTS: "380", ...extra });

async function runCleanup(extra: Record<string, string> = {}, branches: Record<number, string[]> = { 380: ["main"] }) {
  const registry = await registryWithBranches();
  const api = gitlabRefsApi(branches);
  const cfg = config(extra);
  const env = cleanupEnv(cfg, registryCleanup(cfg, { registry, deleter: ociDeleter(registry), fetch: api.fetch }, () => undefined), () => undefined);
  const report = await cleanup.scheduled(tick, env);
  return { report, tags: (await registry.listTags("shop/app")).filter((t) => !t.startsWith("stage-")).sort(), api };
}

describe("the scheduled cleanup function with the cleanup library", () => {
  it("deletes the image of a deleted branch and keeps the living branch's", async () => {
    const { report, tags, api } = await runCleanup();
    expect(tags).toEqual(["main"]);
    expect(report).toMatchObject({ status: "done", dryRun: false });
    expect(report.status === "done" && report.deleted).toBeGreaterThanOrEqual(2); // the image and its own stage
    expect(api.urls).toEqual(expect.arrayContaining(["/api/v4/projects/380/repository/branches", "/api/v4/projects/380/repository/tags"]));
  });

  it("SLIPWAY_CLEANUP_DRY_RUN=true plans without deleting", async () => {
    const { report, tags } = await runCleanup({ SLIPWAY_CLEANUP_DRY_RUN: "true" });
    expect(tags).toEqual(["gone", "main"]);
    expect(report).toMatchObject({ status: "done", dryRun: true });
    expect(report.status === "done" && report.deleted).toBeGreaterThanOrEqual(2);
  });

  it("a branch of any configured project keeps its images", async () => {
    const { tags } = await runCleanup({ SLIPWAY_PROJECTS: "380,12" }, { 380: ["main"], 12: ["gone"] });
    expect(tags).toEqual(["gone", "main"]);
  });

  it("stops before deleting anything when GitLab refuses the token", async () => {
    const registry = await registryWithBranches();
    const cfg = config({ GITLAB_TOKEN: "wrong" });
    const env = cleanupEnv(cfg, registryCleanup(cfg, { registry, deleter: ociDeleter(registry), fetch: gitlabRefsApi({ 380: ["main"] }).fetch }, () => undefined), () => undefined);
    await expect(cleanup.scheduled(tick, env)).rejects.toThrow(/HTTP 401/);
    expect((await registry.listTags("shop/app")).filter((t) => !t.startsWith("stage-")).sort()).toEqual(["gone", "main"]);
  });
});

describe("cleanup configuration", () => {
  it("without SLIPWAY_REPO the Lambda env reports not configured", async () => {
    const env = await lambdaCleanupEnv(parseFunctionsConfig({ SLIPWAY_FLEET: "ec2" }, { launches: false }));
    expect(await cleanup.scheduled(tick, env)).toMatchObject({ status: "not-configured" });
  });

  it("reads the names infra passes (SLIPWAY_REPO, SLIPWAY_PROJECTS) and the optional settings", () => {
    expect(config().cleanup).toEqual({ repo: "registry.test:5000/shop/app", images: [""], dryRun: false });
    expect(config({ SLIPWAY_CLEANUP_IMAGES: ".,api", SLIPWAY_CLEANUP_DRY_RUN: "true", SLIPWAY_CLEANUP_KUBECONFIG: "/k" }).cleanup).toEqual({
      repo: "registry.test:5000/shop/app", images: ["", "api"], dryRun: true, kubeconfig: "/k",
    });
  });

  it("names the variables that make registry cleanup impossible", () => {
    expect(() => config({ SLIPWAY_PROJECTS: "" })).toThrow(/SLIPWAY_PROJECTS: registry cleanup/);
    expect(() => config({ SLIPWAY_REPO: "no-slash" })).toThrow(/SLIPWAY_REPO must start with a registry host .*"no-slash"/);
    expect(() => config({ SLIPWAY_CLEANUP_DRY_RUN: "yes" })).toThrow(/SLIPWAY_CLEANUP_DRY_RUN/);
  });

  it("the Lambda refuses a kubeconfig rather than skipping the Kubernetes check", async () => {
    await expect(lambdaCleanupEnv(config({ SLIPWAY_CLEANUP_KUBECONFIG: "/k" }))).rejects.toThrow(/SLIPWAY_CLEANUP_KUBECONFIG/);
  });

  it("functions that never launch need no launch template on ec2; the launcher does", () => {
    expect(parseFunctionsConfig({ SLIPWAY_FLEET: "ec2" }, { launches: false }).fleet).toBe("ec2");
    expect(() => parseFunctionsConfig({ SLIPWAY_FLEET: "ec2" })).toThrow(/SLIPWAY_LAUNCH_TEMPLATE/);
  });
});

describe("local wiring (slipway functions run cleanup)", () => {
  it("builds a registry cleanup only when SLIPWAY_REPO is set", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { createServices } = await import("../../../src/functions-config/wiring.ts");
    const home = await mkdtemp(join(tmpdir(), "slipway-cleanup-"));
    try {
      const local = (extra: Record<string, string>) => parseFunctionsConfig({ SLIPWAY_HOME: home, ...extra });
      const without = await createServices(local({}), { baseEnv: { HOME: home } });
      expect(without.cleanup).toBeUndefined();
      await without.dispose();
      const withRepo = await createServices(local({ SLIPWAY_REPO: "registry.test:5000/shop/app", SLIPWAY_PROJECTS: "380" }), { baseEnv: { HOME: home } });
      expect(typeof withRepo.cleanup?.run).toBe("function");
      await withRepo.dispose();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
