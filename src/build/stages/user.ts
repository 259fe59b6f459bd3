import type { DependencyConfig, ImportStageHook, UserStageName } from "../../config/types.ts";
import { TOOLCHAIN_INPUT } from "../../ansible/tag.ts";
import { ToolchainError } from "../../ansible/toolchain.ts";
import { BuildError } from "../../errors.ts";
import type { NamedInput } from "../digest.ts";
import { repoComponent } from "../names.ts";
import type { PlacedFile } from "../placement.ts";
import type { LayerBuilder, Stage, StageContext } from "../stage.ts";
import { encodeGitFiles } from "./git-patch.ts";
import { ansibleRun } from "../../ansible/run.ts";
import { canonicalJson } from "../../ansible/playbook.ts";
import { secretBind, sshBind } from "../secrets/binds.ts";
import { secretDigestInput } from "../secrets/values.ts";

/** Where user stages' commands find the forwarded ssh agent (SSH_AUTH_SOCK), BuildKit's first agent path. */
export const STAPEL_SSH_SOCKET = "/run/buildkit/ssh_agent.0";

/** Joins a stage's commands into one script for `/bin/sh -c`; `set -e` stops at the first failure. */
export function commandScript(commands: string[]): string {
  return ["set -e", ...commands].join("\n");
}

/** The dependency hooks whose values the commands of a user stage see (werf's dependencies stages before it). */
const VISIBLE_HOOKS: Record<UserStageName, ImportStageHook[]> = {
  beforeInstall: [],
  install: ["beforeInstall"],
  beforeSetup: ["beforeInstall", "afterInstall"],
  setup: ["beforeInstall", "afterInstall", "beforeSetup"],
};

/** werf's dependency values: the image name (repository:tag where its last stage is kept), repository or tag. */
function dependencyEnv(entries: { name: string; type: string; digest: string }[], stageName: (digest: string) => string): string[] {
  return entries.map(({ name, type, digest }) => {
    const ref = stageName(digest);
    const colon = ref.lastIndexOf(":");
    const value = type === "ImageRepo" ? ref.slice(0, colon) : type === "ImageTag" ? ref.slice(colon + 1) : ref;
    return `${name}=${value}`;
  });
}

/**
 * beforeInstall / install / beforeSetup / setup: shell commands run in a container
 * made from the parent stage. `dependencyFiles` lists the files its stageDependencies
 * match (path and content hash), so a change to them is named when explaining a rebuild.
 * `git` (werf view): the commands run on the current mapped files, patched in first.
 */
export function userStage(
  name: UserStageName, ctx: StageContext, dependencyFiles: string[], git?: { patch: LayerBuilder; files: PlacedFile[] },
): Stage {
  const { mounts, network } = ctx.image;
  const builder = instructions(name, ctx);
  const visible: DependencyConfig[] = ctx.image.dependencies.filter((d) => VISIBLE_HOOKS[name].includes(d.stage));
  const dependencies = () => visible.flatMap((d) => {
    const result = ctx.imageResult(d.image);
    if (!result) throw new BuildError(ctx.image.name, name, `dependency ${d.image} has not been planned`);
    return d.env.map((e) => ({ name: e.name, type: e.type, digest: result.digest }));
  });
  const secrets = [...(ctx.secrets?.values() ?? [])];
  const rotating = secretDigestInput(secrets);
  const inputs = (): NamedInput[] => [
    ["commands", builder.commands],
    ["cacheVersion", builder.cacheVersion ?? ""],
    [`${name}CacheVersion`, builder.stageCacheVersion ?? ""],
    ["dependencies", dependencyFiles.join("\n")],
    // Only with werf dependencies, so the digests of every other stage stay what they were.
    ...(visible.length > 0 ? [["dependencyImages", JSON.stringify(dependencies().map((e) => [e.name, e.type, e.digest]))] as const] : []),
    // Only secrets that ask to rebuild on rotation, as salted hashes: by default a secret is in no digest.
    ...(rotating ? [["secrets", rotating] as const] : []),
    ...(builder.ansible ? [[TOOLCHAIN_INPUT, builder.ansible.toolchain] as const] : []),
  ];
  return {
    name,
    kind: "user",
    isEmpty: () => builder.empty,
    inputs,
    ...(git ? { gitFiles: () => encodeGitFiles(git.files) } : {}),
    // The values name the dependencies' last stages: cleanup keeps them while this stage is kept.
    ...(visible.length > 0 ? { needs: () => [...new Set(dependencies().map((e) => e.digest))] } : {}),
    change: () => {
      const run = builder.ansible?.run();
      const depEnv = (stageName: (digest: string) => string) => (visible.length > 0 ? dependencyEnv(dependencies(), stageName) : []);
      return {
        kind: "run",
        script: run?.script ?? builder.script,
        network,
        ...(git ? { patch: git.patch } : {}),
        ...(visible.length > 0 || run ? { env: (stageName: (digest: string) => string) => [...(run?.env ?? []), ...depEnv(stageName)] } : {}),
        ...(run ? { argv: run.argv, describeFailure: run.describeFailure } : {}),
        binds: [
          ...mounts.map((m) => ({
            source: m.fromPath ?? (m.from === "build_dir" ? `${ctx.buildDir}/${repoComponent(ctx.project)}/${m.to.replace(/\//g, "_")}` : ""),
            target: m.to,
            // build_dir is a dependency cache: with a registry it outlives the node (src/cache/).
            ...(m.from === "build_dir" && { cache: `build_dir:${m.to}` }),
          })),
          ...(run?.binds ?? []),
          // werf: every secret of the image at /run/secrets/<id>, and the agent, for each user stage's commands.
          ...secrets.map((s) => secretBind(s.value, `/run/secrets/${s.id}`)),
          ...(ctx.sshSocket ? [sshBind(ctx.sshSocket, STAPEL_SSH_SOCKET)] : []),
        ],
        ...(ctx.sshSocket ? { secretEnv: () => [`SSH_AUTH_SOCK=${STAPEL_SSH_SOCKET}`] } : {}),
      };
    },
  };
}

/** The stage's instructions: shell commands, or (werf's other builder) ansible tasks run by the toolchain. */
function instructions(name: UserStageName, ctx: StageContext) {
  const { shell, ansible } = ctx.image;
  if (!ansible) {
    return { empty: shell[name].length === 0, commands: JSON.stringify(shell[name]), script: commandScript(shell[name]), cacheVersion: shell.cacheVersion, stageCacheVersion: shell.stageCacheVersions[name], ansible: undefined };
  }
  const tasks = ansible[name];
  const toolchain = () => {
    const t = ctx.ansibleToolchain;
    if (!t) throw new BuildError(ctx.image.name, name, "the ansible toolchain has not been prepared");
    const { ready } = t;
    if (!ready) return t;
    // Fetched when this stage first runs: a failure names the stage.
    const named = (err: unknown) => {
      throw err instanceof ToolchainError ? new BuildError(ctx.image.name, name, err.detail, undefined, { cause: err }) : err;
    };
    return { ...t, ready: () => ready().catch(named) };
  };
  return {
    empty: tasks.length === 0,
    // The tasks as written after template rendering, keys sorted: werf's checksum of the tasks' JSON.
    commands: canonicalJson(tasks.map((t) => t.task)),
    script: "",
    cacheVersion: ansible.cacheVersion,
    stageCacheVersion: ansible.stageCacheVersions[name],
    ansible: { get toolchain() { return toolchain().digest; }, run: () => ansibleRun(tasks, toolchain()) },
  };
}
