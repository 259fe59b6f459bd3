import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { stageTag } from "../../../src/build/names.ts";
import { needsOfManifest } from "../../../src/cleanup/reach.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { run } from "../../../src/util/process.ts";
import { busyboxEntries } from "../../support/base-image.ts";
import { scratchDir } from "../../support/services.ts";
import { assertComplete, publishChain, publishImage, type SyntheticStage } from "../../support/synthetic-images.ts";

const MAIN = fileURLToPath(new URL("../../../src/cli/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HOUR = 3_600_000;
let bundled: Promise<string> | undefined;

/**
 * The CLI entry point bundled once from the current sources, as scripts/build.mjs does
 * (dist/ may be stale while we edit; tsx would recompile on every run).
 */
function bundle(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import("esbuild");
    const outdir = await scratchDir("slipway-cleanup-cli-");
    await build({ entryPoints: { cli: MAIN }, outdir, bundle: true, format: "esm", platform: "node", target: "node20", packages: "external", absWorkingDir: ROOT, logLevel: "warning", outExtension: { ".js": ".mjs" } });
    // Bare imports must resolve from the repository's node_modules.
    const out = join(ROOT, "node_modules", ".cache", `slipway-cleanup-cli-${process.pid}.mjs`);
    await mkdir(dirname(out), { recursive: true });
    await copyFile(join(outdir, "cli.mjs"), out);
    return out;
  })();
  return bundled;
}

/** Removes the bundled harness. */
export async function disposeCli(): Promise<void> {
  if (bundled) await rm(await bundled, { force: true });
}

export async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  return run(process.execPath, [await bundle(), ...args], { env: { ...process.env, NO_COLOR: "1", KUBECONFIG: undefined, ...env } as NodeJS.ProcessEnv });
}

async function git(dir: string, ...args: string[]) {
  const res = await run("git", ["-C", dir, ...args], { env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
  if (res.code !== 0) throw new Error(`git ${args.join(" ")}: ${res.stderr}`);
  return res.stdout.trim();
}

/** A checkout with slipway.yaml (images api and web) and branches main, feature-a, tag v1.0. */
export async function project(cleanupYaml = ""): Promise<string> {
  const dir = await scratchDir("slipway-cleanup-project-");
  await writeFile(join(dir, "slipway.yaml"), `project: demo\nconfigVersion: 1\n${cleanupYaml}---\nimage: api\nfrom: busybox\n---\nimage: web\nfrom: busybox\n`);
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "add", ".");
  await git(dir, "commit", "-q", "-m", "init");
  await git(dir, "branch", "feature-a");
  await git(dir, "tag", "v1.0");
  return dir;
}

export interface Seeded {
  from: SyntheticStage;
  /** branch -> image -> last stage. */
  chains: Record<string, Record<string, SyntheticStage[]>>;
}

/**
 * Images api and web for branches main, feature-a, tag v1.0 and the deleted branches
 * gone-1 and gone-2, pushed 5h ago; every chain starts on one shared busybox stage.
 */
const BUSYBOX = busyboxEntries();

export async function seed(registry: Registry, repo: string): Promise<Seeded> {
  const [from] = await publishChain(registry, repo, [{ name: "from", key: "busybox", files: BUSYBOX }]);
  const chains: Seeded["chains"] = {};
  const created = new Date(Date.now() - 5 * HOUR);
  for (const ref of ["main", "feature-a", "v1.0", "gone-1", "gone-2"]) {
    chains[ref] = {};
    for (const image of ["api", "web"]) {
      const names = ref.startsWith("gone") ? [{ name: "install", key: `${ref}-${image}` }, { name: "setup", key: `${ref}-${image}` }] : [{ name: "install", key: `${ref}-${image}` }];
      const chain = await publishChain(registry, repo, names, from);
      chains[ref][image] = [from, ...chain];
      await publishImage(registry, repo, { image, tag: ref, last: chain[chain.length - 1], created });
    }
  }
  return { from, chains };
}

/** Every tag of the project's repositories. */
export async function allTags(registry: Registry, repo: string): Promise<string[]> {
  const out: string[] = [];
  for (const r of [repo, `${repo}/api`, `${repo}/web`]) for (const t of await registry.listTags(r)) out.push(`${r}:${t}`);
  return out.sort();
}

/** The image and every blob still GET, and every stage it needs is still tagged (walking slipway.needs). */
export async function assertImageWhole(registry: Registry, repo: string, repository: string, tag: string): Promise<void> {
  await assertComplete(registry, repository, tag);
  const m = await registry.getManifest(repository, tag);
  const annotations = (JSON.parse(Buffer.from(m!.body).toString("utf8")) as { annotations: Record<string, string> }).annotations;
  const todo = [annotations["io.slipway.stage"]];
  while (todo.length) {
    const stage = todo.pop()!;
    const sm = await registry.getManifest(repo, stageTag(stage));
    if (!sm) throw new Error(`${repository}:${tag} needs stage ${stage}, which is gone`);
    await assertComplete(registry, repo, stageTag(stage));
    todo.push(...(await needsOfManifest(registry, repo, sm.body)));
  }
}
