import { appendFile, cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../src/util/process.ts";

export type Scenario = "cold" | "no change" | "app change" | "dependency change";
/** In chain order: each scenario starts from the registry state the previous one left. */
export const SCENARIOS: Scenario[] = ["cold", "no change", "app change", "dependency change"];

export interface AppSpec {
  /** Directory with slipway.yaml, Dockerfile and the app's files. */
  dir: string;
  /** A file only the final layers depend on (app code). */
  appFile: string;
  /** The file the install stage depends on. */
  depsFile: string;
  /**
   * The line a dependency change appends to the deps file: a new package for an
   * install that reads it; by default a comment (new content, same install).
   */
  depsLine?: string;
}

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@example.com", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@example.com" };

async function git(dir: string, ...args: string[]): Promise<void> {
  const res = await run("git", ["-C", dir, ...args], { env: GIT_ENV });
  if (res.code !== 0) throw new Error(`git ${args.join(" ")}: ${res.stderr}`);
}

/**
 * A git working tree with the app committed (slipway reads tracked files; docker
 * reads the directory). `dockerfileOnly` leaves slipway.yaml out, so slipway
 * builds the Dockerfile, as for a project that has no config file.
 */
export async function checkout(spec: AppSpec, into: string, dockerfileOnly = false): Promise<string> {
  await cp(spec.dir, into, { recursive: true });
  if (dockerfileOnly) await rm(join(into, "slipway.yaml"), { force: true });
  await git(into, "init", "-q", "-b", "main");
  await git(into, "add", "-A");
  await git(into, "commit", "-q", "-m", "app");
  return into;
}

/** What `scenario` appends to which file, or undefined when it builds the tree as it is. */
export function scenarioEdit(spec: AppSpec, scenario: Scenario): { file: string; text: string } | undefined {
  // A trailing comment line changes the content without changing what the file does.
  if (scenario === "app change") return { file: spec.appFile, text: `\n# bench: ${scenario}\n` };
  if (scenario === "dependency change") return { file: spec.depsFile, text: spec.depsLine ? `\n${spec.depsLine}\n` : `\n# bench: ${scenario}\n` };
  return undefined;
}

/**
 * Puts the working tree in the state `scenario` measures, assuming it holds the
 * previous scenario's state: cold and no change build the tree as it is; an app
 * change edits the app file; a dependency change edits the deps file.
 */
export async function applyScenario(spec: AppSpec, dir: string, scenario: Scenario): Promise<void> {
  const edit = scenarioEdit(spec, scenario);
  if (!edit) return;
  await appendFile(join(dir, edit.file), edit.text);
  await git(dir, "commit", "-q", "-am", scenario);
}
