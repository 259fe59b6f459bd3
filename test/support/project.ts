import { mkdir, writeFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { run } from "../../src/util/process.ts";
import { scratchDir } from "./services.ts";

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

export interface GitProject {
  dir: string;
  write(files: Record<string, string>): Promise<void>;
  remove(path: string): Promise<void>;
  commit(message?: string): Promise<string>;
  git(...args: string[]): Promise<string>;
}

/** A fresh git repository with `files` committed. */
export async function gitProject(files: Record<string, string>): Promise<GitProject> {
  const dir = await scratchDir("slipway-project-");
  const git = async (...args: string[]) => {
    const res = await run("git", ["-C", dir, ...args], { env: GIT_ENV });
    if (res.code !== 0) throw new Error(`git ${args.join(" ")}: ${res.stderr}`);
    return res.stdout.trim();
  };
  const project: GitProject = {
    dir,
    git,
    async write(more) {
      for (const [path, content] of Object.entries(more)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
    },
    async remove(path) {
      await rm(join(dir, path));
    },
    async commit(message = "change") {
      await git("add", "-A");
      await git("commit", "-q", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
  };
  await git("init", "-q", "-b", "main");
  await project.write(files);
  await project.commit("init");
  return project;
}
