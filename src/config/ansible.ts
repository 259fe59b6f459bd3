/**
 * `ansible:` of a stapel image into AnsibleConfig. Every task's module is checked here,
 * where the error can name the task and its line: werf refuses a task with no supported
 * module or with two, and so does slipway (exit 2 before anything is built).
 */
import { moduleKeys, supportedModule } from "../ansible/modules.ts";
import { ConfigError } from "../errors.ts";
import type { AnsibleConfig, AnsibleTask, UserStageName } from "./types.ts";
import { USER_STAGES } from "./types.ts";
import type { RawImageDoc } from "./schema.ts";
import type { DocContext } from "./normalize.ts";
import type { PathSegment } from "./yaml-source.ts";

/** Tasks that hold tasks: a block with its rescue and always lists. */
const BLOCK_KEYS = ["block", "rescue", "always"] as const;

export function ansibleConfig(raw: RawImageDoc, ctx: DocContext): AnsibleConfig | undefined {
  const a = raw.ansible;
  if (a == null) return undefined;
  // werf (pkg/config/stapel_image.go): "can not use shell and ansible builders at the same time!"
  if (raw.shell != null) {
    const at = ctx.loc(["ansible"], true);
    throw new ConfigError(at.file, at.line, at.column, "ansible", "shell: and ansible: cannot be used in one image (werf: one builder per image)");
  }
  const stageCacheVersions: Partial<Record<UserStageName, string>> = {};
  for (const stage of USER_STAGES) {
    const v = a[`${stage}CacheVersion`];
    if (v != null) stageCacheVersions[stage] = v;
  }
  const tasks = (stage: UserStageName) => (a[stage] ?? []).map((t, i) => ansibleTask(t, ["ansible", stage, i], ctx));
  const config: AnsibleConfig = {
    beforeInstall: tasks("beforeInstall"),
    install: tasks("install"),
    beforeSetup: tasks("beforeSetup"),
    setup: tasks("setup"),
    stageCacheVersions,
  };
  if (a.cacheVersion != null) config.cacheVersion = a.cacheVersion;
  return config;
}

function ansibleTask(task: Record<string, unknown>, path: PathSegment[], ctx: DocContext): AnsibleTask {
  const location = ctx.loc(path);
  const blocks = BLOCK_KEYS.filter((k) => task[k] != null);
  if (blocks.length > 0) {
    for (const key of blocks) {
      const inner = task[key];
      if (!Array.isArray(inner)) ctx.fail([...path, key], `expected a list of ansible tasks`);
      inner.forEach((t, i) => {
        if (t === null || typeof t !== "object" || Array.isArray(t)) ctx.fail([...path, key, i], "expected an ansible task (a map)");
        ansibleTask(t as Record<string, unknown>, [...path, key, i], ctx);
      });
    }
    return { task, module: "block", location };
  }
  const keys = moduleKeys(task);
  const modules = keys.filter((k) => supportedModule(k) !== undefined);
  const unknown = keys.filter((k) => supportedModule(k) === undefined);
  const named = typeof task.name === "string" ? ` "${task.name}"` : "";
  if (unknown.length > 0) {
    ctx.fail([...path, unknown[0]], `task${named}: unsupported ansible module ${unknown[0]} (werf's stapel module list, see docs/config.md)`);
  }
  if (modules.length === 0) ctx.fail(path, `task${named} runs no module`);
  if (modules.length > 1) ctx.fail([...path, modules[1]], `task${named} runs more than one module (${modules.join(", ")})`);
  return { task, module: supportedModule(modules[0]) as string, location };
}
