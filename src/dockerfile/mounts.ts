/**
 * RUN --mount, as BuildKit does it for the types slipway supports: `tmpfs` (an empty
 * directory for the run) and `bind` of context files (a copy of exactly the files the
 * source selects after .dockerignore, read-only unless `rw`, whose writes are thrown
 * away). Neither enters the layer: both are mounts, and a commit leaves mounts out.
 * `cache`, `secret`, `ssh` and `bind,from=` are refused by name.
 */
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import type { RunBind } from "../engine/types.ts";
import { readEntry, type BuildContext, type Selected } from "./context.ts";

export type Mount =
  | { type: "tmpfs"; target: string }
  /** `source` is relative to the context; `selected` is filled in when the context is read. */
  | { type: "bind"; target: string; source: string; rw: boolean; selected?: Selected[] };

const BOOLEAN = new Set(["ro", "readonly", "rw", "readwrite"]);

/** Thrown with the reason a mount is refused; the caller adds file:line. */
export class MountError extends Error {}

/** `type=bind,source=src,target=/src,ro`: BuildKit's CSV keys, `type` defaulting to bind. */
export function parseMount(text: string): Mount {
  const fields = new Map<string, string>();
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    fields.set(key, eq < 0 ? (BOOLEAN.has(key) ? "true" : "") : part.slice(eq + 1));
  }
  const type = fields.get("type") ?? "bind";
  if (["cache", "secret", "ssh"].includes(type)) throw new MountError(`RUN --mount=type=${type} is not supported`);
  if (type !== "bind" && type !== "tmpfs") throw new MountError(`RUN --mount: unknown type ${JSON.stringify(type)}`);
  const target = fields.get("target") ?? fields.get("dst") ?? fields.get("destination");
  if (!target) throw new MountError("RUN --mount: target is required");
  if (!target.startsWith("/")) throw new MountError(`RUN --mount: target ${target} must be an absolute path`);
  const allowed = type === "tmpfs" ? ["type", "target", "dst", "destination", "size"] : ["type", "target", "dst", "destination", "source", "src", "ro", "readonly", "rw", "readwrite", "from"];
  const unknown = [...fields.keys()].find((k) => !allowed.includes(k));
  if (unknown) throw new MountError(`RUN --mount=type=${type}: ${unknown} is not supported`);
  const at = posix.normalize(target).replace(/(.)\/+$/, "$1");
  if (type === "tmpfs") return { type, target: at };
  if (fields.has("from")) throw new MountError("RUN --mount=type=bind,from= (a stage or image) is not supported");
  const rw = ["rw", "readwrite"].some((k) => fields.has(k) && fields.get(k) !== "false");
  return { type, target: at, source: fields.get("source") ?? fields.get("src") ?? ".", rw };
}

/** What a mount contributes to the RUN's digest: its kind and target, and for a bind the bound files' content hashes. */
export function mountInput(mount: Mount): string {
  if (mount.type === "tmpfs") return `tmpfs ${mount.target}`;
  const files = (mount.selected ?? []).map((s) => `  ${s.destPath || "."}${s.entry.type === "directory" ? "/" : ""} ${s.entry.mode.toString(8)}:${s.hash}`);
  return [`bind ${mount.target} ${mount.source} ${mount.rw ? "rw" : "ro"}`, ...files].join("\n");
}

/** The bind the engine mounts: a fresh temporary directory, filled with the bound context files. */
export function mountBind(mount: Mount, ctx: BuildContext): RunBind {
  if (mount.type === "tmpfs") {
    // BuildKit's tmpfs is writable by every user (a RUN may run as a non-root USER).
    return { source: "", target: mount.target, fill: async (dir) => void (await chmod(dir, 0o1777)) };
  }
  const selected = mount.selected ?? [];
  return {
    source: "",
    target: mount.target,
    readOnly: !mount.rw,
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
