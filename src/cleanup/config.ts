import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ProjectConfig } from "../config/types.ts";
import { expandTemplates } from "../config/template.ts";
import { parseYamlDocs } from "../config/yaml-source.ts";
import { policyFromMetaDoc, policyFromValue, type CleanupPolicy } from "./policy.ts";

/**
 * The keep policy of a loaded config, validated with file:line errors: the config
 * loader keeps `cleanup` raw, so its meta document is read again here for positions.
 */
export async function policyOfConfig(config: ProjectConfig, env: Record<string, string | undefined>): Promise<CleanupPolicy> {
  if (config.cleanup === undefined) return policyFromValue(undefined);
  const rel = path.relative(config.dir, config.file);
  const shown = rel.startsWith("..") || path.isAbsolute(rel) ? config.file : rel;
  const docs = parseYamlDocs(expandTemplates(await readFile(config.file, "utf8"), shown, env, { dir: config.dir }), shown);
  const meta = docs.find((d) => d.value !== null && typeof d.value === "object" && "project" in (d.value as object));
  return meta ? policyFromMetaDoc(meta, shown) : policyFromValue(config.cleanup, shown);
}
