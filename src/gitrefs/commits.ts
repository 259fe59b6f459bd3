import { run } from "../util/process.ts";
import { SlipwayError } from "../errors.ts";

/** The commits of `shas` that the repository at `dir` does not have (one `git cat-file --batch-check`). */
export async function missingCommits(dir: string, shas: string[]): Promise<Set<string>> {
  const unique = [...new Set(shas.filter(Boolean))];
  if (unique.length === 0) return new Set();
  const res = await run("git", ["-C", dir, "cat-file", "--batch-check"], { input: unique.map((s) => `${s}^{commit}`).join("\n") + "\n" });
  if (res.code !== 0) throw new SlipwayError(`git cat-file failed in ${dir}: ${res.stderr.trim()}`);
  const lines = res.stdout.split("\n");
  return new Set(unique.filter((_, i) => lines[i]?.endsWith(" missing")));
}
