import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { run } from "../../../src/util/process.ts";
import { scratchDir } from "../../support/services.ts";

/** A context directory with these files; a value [content, mode] sets the mode. */
export async function contextDir(files: Record<string, string | [string, number]>): Promise<string> {
  const dir = await scratchDir("slipway-dockerfile-");
  for (const [path, value] of Object.entries(files)) {
    const [content, mode] = typeof value === "string" ? [value, 0o644] : value;
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
    await chmod(join(dir, path), mode);
  }
  return dir;
}

export async function docker(socket: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const res = await run("/usr/bin/docker", args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}`, ...env } });
  if (res.code !== 0) throw new Error(`docker ${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

/** The engine's BuildKit building `dir` (what slipway's output must equal). */
export async function buildkit(socket: string, dir: string, tag: string, extra: string[] = []): Promise<void> {
  await docker(socket, ["build", "-q", "--network", "none", "-t", tag, ...extra, dir], { DOCKER_BUILDKIT: "1" });
}

/** Paths the engine adds to every container's filesystem (mount points), not part of an image's files. */
const RUNTIME = /^(\.dockerenv|dev|proc|sys|etc\/(hosts|hostname|resolv\.conf|mtab))(\/|$)/;

/** Every path of an image's filesystem with type, mode, owner and size, from `docker export`. */
export async function fileTree(socket: string, image: string): Promise<Record<string, string>> {
  const id = (await docker(socket, ["create", image, "x"])).trim();
  try {
    const file = join(await scratchDir("slipway-export-"), "fs.tar");
    await docker(socket, ["export", "-o", file, id]);
    return await listTar(await readFile(file));
  } finally {
    await docker(socket, ["rm", "-f", id]);
  }
}

export async function listTar(tar: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const reader = extract();
  await new Promise<void>((resolve, reject) => {
    reader.on("entry", (h, stream, next) => {
      const path = h.name.replace(/^\.?\/+/, "").replace(/\/+$/, "");
      if (path !== "" && !RUNTIME.test(path)) {
        out[path] = `${h.type} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid} ${h.type === "file" ? h.size : 0}${h.linkname ? ` -> ${h.linkname}` : ""}`;
      }
      stream.on("end", next);
      stream.resume();
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
    Readable.from(tar).pipe(reader);
  });
  return out;
}

/** The config fields a Dockerfile sets. */
export async function imageConfig(socket: string, image: string): Promise<Record<string, unknown>> {
  const c = JSON.parse(await docker(socket, ["image", "inspect", image, "--format", "{{json .Config}}"])) as Record<string, unknown>;
  const keys = ["Cmd", "Entrypoint", "Env", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels", "Healthcheck", "StopSignal", "OnBuild", "Shell"];
  return Object.fromEntries(keys.map((k) => [k, c[k] ?? null]));
}
