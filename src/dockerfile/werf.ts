/**
 * `dockerfile:` images in werf.yaml / slipway.yaml, with werf's keys: dockerfile
 * (relative to context), context (relative to the project directory), target, args,
 * network, contextAddFiles, staged. What slipway cannot honour is refused by name.
 * Reading the Dockerfile is async and happens after the config is loaded
 * (resolveDockerfileImages), so the loader stays a pure function of the text.
 */
import path from "node:path";
import { access, realpath, stat } from "node:fs/promises";
import type { ImageConfig, ProjectConfig, SourceLocation } from "../config/types.ts";
import type { PathSegment, SourceDoc } from "../config/yaml-source.ts";
import { ConfigError } from "../errors.ts";
import { secretConfigs, secretSchema, type RawSecret } from "../config/secrets.ts";
import { dockerfileImageConfig, loadDockerfileBuild } from "./project.ts";

export interface DockerfileImageSpec {
  dockerfile: string;
  context: string;
  target?: string;
  args: Record<string, string>;
  network: boolean;
  contextAddFiles: string[];
  location: SourceLocation;
}

const ACCEPTED = new Set(["image", "dockerfile", "context", "target", "args", "network", "contextAddFiles", "staged", "final", "secrets"]);

const REFUSED: Record<string, string> = {
  addHost: "addHost is not supported: RUN commands have no network unless `network: default`, and no host entries",
  ssh: "ssh: (deprecated in werf) is not supported; give the agent with --ssh default[=SOCKET]",
  dependencies: "dependencies of a Dockerfile image (build args from other images) are not supported yet",
  artifact: "a Dockerfile image is an image:, not an artifact:",
};

export function dockerfileImages(written: Record<string, unknown>, doc: SourceDoc, file: string): ImageConfig[] {
  const fail = (p: PathSegment[], detail: string): never => {
    const at = doc.locate(p, true);
    throw new ConfigError(file, at.line, at.column, p.join("."), detail);
  };
  for (const key of Object.keys(written)) {
    if (REFUSED[key]) fail([key], REFUSED[key]);
    if (!ACCEPTED.has(key)) fail([key], `${key} cannot be used with dockerfile: (a Dockerfile image takes dockerfile, context, target, args, network, contextAddFiles)`);
  }
  const str = (key: string): string | undefined => {
    const v = written[key];
    if (v == null) return undefined;
    if (typeof v !== "string" || v === "") fail([key], "expected a non-empty string");
    return v as string;
  };
  const args: Record<string, string> = {};
  if (written.args != null) {
    if (typeof written.args !== "object" || Array.isArray(written.args)) fail(["args"], "expected a map of build args");
    for (const [k, v] of Object.entries(written.args as Record<string, unknown>)) {
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") fail(["args", k], "expected a string");
      args[k] = String(v);
    }
  }
  const network = str("network");
  if (network !== undefined && !["default", "none"].includes(network)) fail(["network"], `network: ${network} is not supported (default or none)`);
  const addFiles = written.contextAddFiles ?? [];
  if (!Array.isArray(addFiles) || addFiles.some((f) => typeof f !== "string")) fail(["contextAddFiles"], "expected a list of paths");
  const names = written.image == null ? [""] : Array.isArray(written.image) ? (written.image as string[]) : [String(written.image)];
  const at = doc.locate(["dockerfile"], true);
  const spec: DockerfileImageSpec = {
    dockerfile: str("dockerfile") ?? "Dockerfile",
    context: str("context") ?? ".",
    target: str("target"),
    args,
    network: network === "default",
    contextAddFiles: addFiles as string[],
    location: { file, line: at.line, column: at.column },
  };
  const secrets = secretConfigs(rawSecrets(written.secrets, fail), (p, d) => fail(["secrets", ...p], d), (p) => ({ file, ...doc.locate(["secrets", ...p]) }));
  return names.map((name) => ({ ...dockerfileImageConfig(name, spec.network, spec.location), secrets, dockerfileSpec: spec }));
}

/** The `secrets:` list checked against werf's schema, each problem at its entry. */
function rawSecrets(value: unknown, fail: (p: PathSegment[], detail: string) => never): RawSecret[] {
  if (value == null) return [];
  if (!Array.isArray(value)) fail(["secrets"], "expected a list of secrets");
  return (value as unknown[]).map((entry, i) => {
    const parsed = secretSchema.safeParse(entry);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const key = issue.code === "unrecognized_keys" ? issue.keys[0] : undefined;
    const path = ["secrets", i, ...(key ? [key] : issue.path.filter((p): p is string | number => typeof p !== "symbol"))];
    return fail(path, key ? `unknown key ${key} (a secret takes id, env, src, value, rebuildOnChange)` : issue.message);
  });
}

/** Reads the Dockerfile and context of every `dockerfile:` image of a loaded config. */
export async function resolveDockerfileImages(config: ProjectConfig): Promise<void> {
  for (const image of config.images) {
    const spec = image.dockerfileSpec;
    if (!spec || image.dockerfile) continue;
    const context = path.resolve(config.dir, spec.context);
    if (path.relative(config.dir, context).startsWith("..")) {
      throw new ConfigError(spec.location.file, spec.location.line, spec.location.column, "context", "the context must be inside the project directory");
    }
    for (const added of spec.contextAddFiles) {
      // The context is the directory as it is, untracked files included: contextAddFiles only has to exist.
      if (!(await access(path.join(context, added)).then(() => true, () => false))) {
        throw new ConfigError(spec.location.file, spec.location.line, spec.location.column, "contextAddFiles", `${added} does not exist in the context`);
      }
    }
    const dockerfile = path.resolve(context, spec.dockerfile);
    // The Dockerfile, like the context, is the project's: a host file would show its lines in the errors.
    const refuse = (why: string) => new ConfigError(spec.location.file, spec.location.line, spec.location.column, "dockerfile", why);
    const real = await realpath(dockerfile).catch(() => undefined);
    if (!real || !(await stat(real)).isFile()) throw refuse(`${spec.dockerfile} does not exist in the context (${spec.context})`);
    if (path.relative(await realpath(config.dir), real).startsWith("..")) throw refuse(`${spec.dockerfile}: the Dockerfile must be inside the project directory`);
    image.dockerfile = await loadDockerfileBuild(
      { dir: context, file: dockerfile, target: spec.target, buildArgs: spec.args, network: spec.network },
      config.dir,
    );
  }
}
