/**
 * RUN --mount, as BuildKit does it for the types slipway supports: `tmpfs` (an empty
 * directory for the run) and `bind` of context files (a copy of exactly the files the
 * source selects after .dockerignore, read-only unless `rw`, whose writes are thrown
 * away). Neither enters the layer: both are mounts, and a commit leaves mounts out.
 * Their mount points do, as with the engine's BuildKit: a directory target the run made
 * stays (empty, 0755 root, with the parents made for it); the empty file the engine makes
 * to bind a file on is removed (its parents stay). Checked against BuildKit in
 * test/integration/dockerfile/compare.test.ts.
 * A bind `from=` a build stage or an image binds that stage's files (read through the
 * engine); the stage's digest is the input then.
 * `cache` is a directory per node and project under SLIPWAY_HOME, keyed by its id,
 * never in a digest. `secret` and `ssh` (src/dockerfile/secret-mounts.ts) are the build's
 * secrets and ssh agent, bound for this run only; neither their values nor the agent is an input.
 */
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import type { RunBind } from "../engine/types.ts";
import { readEntry, type BuildContext, type Selected } from "./context.ts";
import { secretMount, secretMountInput, sshMount, type SecretMount, type SshMount } from "./secret-mounts.ts";

export type Mount =
  | { type: "tmpfs"; target: string }
  /** A directory kept on the node between builds, keyed by `id` (default: the target). */
  | { type: "cache"; target: string; id: string; mode: number; uid: number; gid: number; readOnly: boolean }
  /** `source` is relative to the context; `selected` is filled in when the context is read. */
  | { type: "bind"; target: string; source: string; rw: boolean; selected?: Selected[]; from?: string; fromStage?: number }
  | SecretMount
  | SshMount;

const BOOLEAN = new Set(["ro", "readonly", "rw", "readwrite"]);

const ALLOWED: Record<string, string[]> = {
  tmpfs: ["size"],
  bind: ["source", "src", "ro", "readonly", "rw", "readwrite", "from"],
  cache: ["id", "sharing", "mode", "uid", "gid", "ro", "readonly", "from", "source", "src"],
};

function cacheMount(fields: Map<string, string>, target: string): Mount {
  if (fields.has("from") || fields.has("source") || fields.has("src")) throw new MountError("RUN --mount=type=cache with from/source (a seed stage) is not supported");
  const sharing = fields.get("sharing") ?? "shared";
  if (!["shared", "private", "locked"].includes(sharing)) throw new MountError(`RUN --mount=type=cache: sharing must be shared, private or locked, not ${sharing}`);
  const number = (key: string, fallback: number, radix: number) => {
    const text = fields.get(key);
    if (text === undefined) return fallback;
    if (!(radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/).test(text)) throw new MountError(`RUN --mount=type=cache: invalid ${key} ${JSON.stringify(text)}`);
    return parseInt(text, radix);
  };
  const readOnly = ["ro", "readonly"].some((k) => fields.has(k) && fields.get(k) !== "false");
  return { type: "cache", target, id: fields.get("id") || target, mode: number("mode", 0o755, 8), uid: number("uid", 0, 10), gid: number("gid", 0, 10), readOnly };
}

/** Thrown with the reason a mount is refused; the caller adds file:line. */
export class MountError extends Error {}

/** `type=bind,source=src,target=/src,ro`: BuildKit's CSV keys, `type` defaulting to bind; a relative target is under `workdir`. */
export function parseMount(text: string, workdir = "/"): Mount {
  const fields = new Map<string, string>();
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    fields.set(key, eq < 0 ? (BOOLEAN.has(key) ? "true" : "") : part.slice(eq + 1));
  }
  const type = fields.get("type") ?? "bind";
  if (type === "secret") return secretMount(fields);
  if (type === "ssh") return sshMount(fields);
  if (!["bind", "tmpfs", "cache"].includes(type)) throw new MountError(`RUN --mount: unknown type ${JSON.stringify(type)}`);
  const target = fields.get("target") ?? fields.get("dst") ?? fields.get("destination");
  if (!target) throw new MountError("RUN --mount: target is required");
  if (type === "cache" && target.split("/").includes("..")) throw new MountError(`RUN --mount=type=cache: target ${target} must stay inside the container's root`);
  const allowed = ["type", "target", "dst", "destination", ...(ALLOWED[type] ?? [])];
  const unknown = [...fields.keys()].find((k) => !allowed.includes(k));
  if (unknown) throw new MountError(`RUN --mount=type=${type}: ${unknown} is not supported`);
  // A relative target is under the WORKDIR, as BuildKit resolves it.
  const at = posix.normalize(target.startsWith("/") ? target : posix.join("/", workdir, target)).replace(/(.)\/+$/, "$1");
  if (type === "cache" && at === "/") throw new MountError("RUN --mount=type=cache: target cannot be the container's root /");
  if (type === "tmpfs") return { type, target: at };
  if (type === "cache") return cacheMount(fields, at);
  const rw = ["rw", "readwrite"].some((k) => fields.has(k) && fields.get(k) !== "false");
  const from = fields.get("from");
  return { type: "bind", target: at, source: fields.get("source") ?? fields.get("src") ?? ".", rw, ...(from ? { from } : {}) };
}

/** What a mount contributes to the RUN's digest: its kind and target, and for a bind the bound files' content hashes. */
export function mountInput(mount: Mount): string {
  if (mount.type === "secret" || mount.type === "ssh") return secretMountInput(mount);
  if (mount.type === "tmpfs") return `tmpfs ${mount.target}`;
  // A cache's content is never an input (as in BuildKit): only that the run has one there.
  if (mount.type === "cache") return `cache ${mount.target}`;
  const files = (mount.selected ?? []).map((s) => `  ${s.destPath || "."}${s.entry.type === "directory" ? "/" : ""} ${s.entry.mode.toString(8)}:${s.hash}`);
  return [`bind ${mount.target} ${mount.source} ${mount.rw ? "rw" : "ro"}`, ...files].join("\n");
}

/**
 * The bind the engine mounts: a fresh temporary directory (tmpfs, or filled with the
 * bound context files), or for a cache the node's directory for its id under `cacheRoot`.
 */
export function mountBind(mount: Mount, ctx: BuildContext, cacheRoot: string, stageFiles?: (source: string, dir: string) => Promise<string | undefined>): RunBind {
  if (mount.type === "secret" || mount.type === "ssh") throw new Error("secret and ssh mounts are bound with the build's secrets (secret-mounts.ts)");
  if (mount.type === "cache") {
    const dir = join(cacheRoot, createHash("sha256").update(mount.id).digest("hex").slice(0, 32));
    return { source: "", target: mount.target, readOnly: mount.readOnly, fill: async () => cacheDir(dir, mount), cache: `cache:${mount.id}` };
  }
  if (mount.type === "tmpfs") {
    // BuildKit's tmpfs is writable by every user (a RUN may run as a non-root USER).
    return { source: "", target: mount.target, fill: async (dir) => void (await chmod(dir, 0o1777)) };
  }
  if (mount.fromStage !== undefined) {
    if (!stageFiles) throw new Error("a bind from a stage needs the stage's files");
    const files = stageFiles;
    return { source: "", target: mount.target, readOnly: !mount.rw, noFileStub: true, fill: async (dir) => files(mount.source, dir) };
  }
  const selected = mount.selected ?? [];
  return {
    source: "",
    target: mount.target,
    readOnly: !mount.rw,
    // The engine makes an empty file to bind a file on; BuildKit removes it after the run.
    noFileStub: true,
    fill: async (dir) => {
      await chmod(dir, 0o755);
      const source = posix.normalize(posix.join("/", mount.source)).slice(1);
      const file = selected.length === 1 && selected[0].entry.path === source && selected[0].entry.type !== "directory" ? selected[0] : undefined;
      for (const { entry, destPath } of selected) {
        const path = join(dir, destPath || posix.basename(entry.path));
        await mkdir(dirname(path), { recursive: true });
        if (entry.type === "directory") await mkdir(path, { recursive: true });
        else if (entry.type === "symlink") await symlink(entry.target ?? "", path);
        else await writeFile(path, await readEntry(ctx, entry));
        if (entry.type !== "symlink") await chmod(path, entry.mode);
      }
      // A file source is bound as that file, at the target.
      return file ? join(dir, file.destPath || posix.basename(file.entry.path)) : undefined;
    },
  };
}

/** The cache's directory, made on first use with the mount's mode and owner (BuildKit's defaults: 0755, 0:0). */
async function cacheDir(dir: string, mount: Extract<Mount, { type: "cache" }>): Promise<string> {
  if ((await mkdir(dir, { recursive: true })) !== undefined) {
    await chmod(dir, mount.mode);
    // Only root may give the directory away; otherwise it stays the user's running slipway.
    await chown(dir, mount.uid, mount.gid).catch(() => undefined);
  }
  return dir;
}
