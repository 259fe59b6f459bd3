import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SCENARIOS, type Scenario } from "./app.ts";
import { link, type Link } from "./link.ts";
import type { SuiteName } from "./summary.ts";
import type { ToolName } from "./tools.ts";

export const SUITES: SuiteName[] = ["app", "multi", "cache"];
export const ALL_TOOLS: ToolName[] = ["slipway", "slipway-dockerfile", "docker", "buildkit"];

export interface Options {
  runs: number;
  suites: SuiteName[];
  scenarios: Scenario[];
  tools: ToolName[];
  app: { dir: string; appFile: string; depsFile: string };
  json: string;
  doc: string;
  /** README.md to update, or undefined (only a run that writes the committed doc updates the README). */
  readme?: string;
  worktree: boolean;
  link: Link;
}

/** A comma-separated list of names, each one of `allowed`; the order is `allowed`'s. */
export function pickList<T extends string>(flag: string, value: string | undefined, allowed: T[]): T[] {
  if (value === undefined) return allowed;
  const names = value.split(",").map((v) => v.trim()).filter(Boolean);
  const unknown = names.filter((n) => !allowed.includes(n as T));
  if (unknown.length > 0 || names.length === 0) throw new Error(`--${flag}: expected a comma-separated list of ${allowed.join(", ")}, got "${value}"`);
  return allowed.filter((a) => names.includes(a));
}

function positive(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && (!Number.isInteger(n) || n < 1))) throw new Error(`--${flag} must be a ${integer ? "positive integer" : "non-negative number"}, got ${value}`);
  return n;
}

/** Parses the bench's command line; `here` is bench/. */
export function parseOptions(args: string[], here: string): Options {
  const { values: v } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "3" },
      suites: { type: "string" },
      scenarios: { type: "string" },
      tools: { type: "string" },
      app: { type: "string", default: join(here, "app") },
      "app-file": { type: "string", default: "main.sh" },
      "deps-file": { type: "string", default: "deps.txt" },
      json: { type: "string", default: join(here, "results.json") },
      doc: { type: "string", default: join(here, "../docs/bench.md") },
      readme: { type: "string" },
      worktree: { type: "boolean", default: false },
      "link-gbps": { type: "string", default: "1.25" },
      "link-rtt-ms": { type: "string", default: "5" },
    },
  });
  const doc = resolve(v.doc!);
  const committedDoc = doc === resolve(here, "../docs/bench.md");
  return {
    runs: positive("runs", v.runs!, true),
    suites: pickList("suites", v.suites, SUITES),
    scenarios: pickList("scenarios", v.scenarios, SCENARIOS),
    tools: pickList("tools", v.tools, ALL_TOOLS),
    app: { dir: resolve(v.app!), appFile: v["app-file"]!, depsFile: v["deps-file"]! },
    json: resolve(v.json!),
    doc,
    readme: v.readme !== undefined ? resolve(v.readme) : committedDoc ? resolve(here, "../README.md") : undefined,
    worktree: v.worktree!,
    link: link(positive("link-gbps", v["link-gbps"]!, false), positive("link-rtt-ms", v["link-rtt-ms"]!, false)),
  };
}
