import { appendFile, cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../util/process.ts";
import { SlipwayError } from "../errors.ts";

/** The demo's git repository: the example app and its .gitlab-ci.yml, committed. */
export interface DemoRepo {
  dir: string;
  git(...args: string[]): Promise<string>;
  /** Commits every change; returns the new commit id. */
  commit(message: string): Promise<string>;
  head(): Promise<string>;
}

/** Fixed identity and no user or system git config: the demo touches nothing of yours. */
function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "slipway demo",
    GIT_AUTHOR_EMAIL: "demo@slipway.invalid",
    GIT_COMMITTER_NAME: "slipway demo",
    GIT_COMMITTER_EMAIL: "demo@slipway.invalid",
  };
}

export async function createDemoRepo(o: { examplesDir: string; dir: string; home: string }): Promise<DemoRepo> {
  const env = gitEnv(o.home);
  const git = async (...args: string[]) => {
    const r = await run("git", args, { cwd: o.dir, env });
    if (r.code !== 0) throw new SlipwayError(`demo repository: git ${args.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  await cp(join(o.examplesDir, "app"), o.dir, { recursive: true });
  await cp(join(o.examplesDir, ".gitlab-ci.yml"), join(o.dir, ".gitlab-ci.yml"));
  await git("init", "-q", "-b", "main");
  const head = () => git("rev-parse", "HEAD");
  const commit = async (message: string) => {
    await git("add", "-A");
    await git("commit", "-q", "-m", message);
    return head();
  };
  await commit("shop: first version");
  return { dir: o.dir, git, commit, head };
}

/** An app-code change: a new line in the page, a file only the gitLatest layer holds. */
export async function changeAppCode(repo: DemoRepo, text: string): Promise<void> {
  const page = join(repo.dir, "public", "index.html");
  await writeFile(page, (await readFile(page, "utf8")).replace(/<p>.*<\/p>/, `<p>${text}</p>`));
}

/** A dependency change: one more pinned package in deps.txt, which install depends on. */
export async function addDependency(repo: DemoRepo, pin: string): Promise<void> {
  await appendFile(join(repo.dir, "deps.txt"), `${pin}\n`);
}
