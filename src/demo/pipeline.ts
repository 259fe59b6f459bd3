import { parse } from "yaml";
import { ConfigError } from "../errors.ts";

/** One job of a .gitlab-ci.yml, as a runner would receive it (after `extends`). */
export interface PipelineJob {
  name: string;
  stage: string;
  tags: string[];
  script: string[];
  /** Global variables, then the job's own (the job wins), not yet expanded. */
  variables: Record<string, string>;
  /** Files the runner uploads after the script: `artifacts.paths` plus the dotenv report. */
  artifacts: string[];
  dotenv?: string;
}

type Doc = Record<string, unknown>;

const isMap = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

function strings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).flat(Infinity as 1).map(String);
}

function variablesOf(v: unknown): Record<string, string> {
  if (!isMap(v)) return {};
  // A variable may be `NAME: value` or `NAME: { value, description }`.
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(isMap(x) ? (x.value ?? "") : x)]));
}

/** Resolves `extends` the way GitLab does for maps: the template first, the job's keys over it (deep for maps). */
function merged(doc: Doc, name: string, seen: string[] = []): Doc {
  const job = doc[name];
  if (!isMap(job)) throw new ConfigError(".gitlab-ci.yml", undefined, undefined, undefined, `no job "${name}"`);
  if (seen.includes(name)) throw new ConfigError(".gitlab-ci.yml", undefined, undefined, undefined, `extends cycle through "${name}"`);
  let out: Doc = {};
  for (const parent of strings(job.extends)) out = deepMerge(out, merged(doc, parent, [...seen, name]));
  const { extends: _e, ...own } = job;
  return deepMerge(out, own);
}

function deepMerge(a: Doc, b: Doc): Doc {
  const out: Doc = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isMap(v) && isMap(out[k]) ? deepMerge(out[k] as Doc, v) : v;
  return out;
}

/** Reads job `name` from the text of a .gitlab-ci.yml. */
export function pipelineJob(text: string, name: string): PipelineJob {
  const doc: unknown = parse(text);
  if (!isMap(doc)) throw new ConfigError(".gitlab-ci.yml", undefined, undefined, undefined, "not a map of jobs");
  const job = merged(doc, name);
  const artifacts = isMap(job.artifacts) ? job.artifacts : {};
  const reports = isMap(artifacts.reports) ? artifacts.reports : {};
  const dotenv = strings(reports.dotenv)[0];
  return {
    name,
    stage: String(job.stage ?? "test"),
    tags: strings(job.tags),
    script: strings(job.script),
    variables: { ...variablesOf(doc.variables), ...variablesOf(job.variables) },
    artifacts: [...strings(artifacts.paths), ...(dotenv ? [dotenv] : [])],
    ...(dotenv ? { dotenv } : {}),
  };
}

/** `$NAME` and `${NAME}` from `vars`; unknown names expand to "" as in GitLab. `$$` is a literal `$`. */
export function expandVariables(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (m, braced?: string, bare?: string) => (m === "$$" ? "$" : (vars[braced ?? bare ?? ""] ?? "")));
}

/**
 * The job's variables expanded against the predefined CI variables and each other, in the
 * order written (GitLab expands a variable's references to variables defined before it).
 */
export function expandJobVariables(job: PipelineJob, predefined: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = { ...predefined };
  for (const [k, v] of Object.entries(job.variables)) all[k] = expandVariables(v, all);
  return all;
}
