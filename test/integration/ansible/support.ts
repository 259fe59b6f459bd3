import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import { nodeToolchain, type Toolchain } from "../../../src/ansible/toolchain.ts";
import { run } from "../../../src/util/process.ts";

/**
 * The toolchain every ansible test uses: built once (about 10 s) into a cache dir under the
 * OS temp dir, keyed by the Debian package versions it is made of, and reused by later runs.
 */
export function testToolchain(): Promise<Toolchain> {
  return nodeToolchain(join(tmpdir(), "slipway-test-ansible-toolchain"), {}, "/nonexistent");
}

export interface Entry { type: string; mode: number; uid: number; gid: number; linkname?: string; content: string }

/** The entries of the top `count` layers of `ref` (docker save), by path. */
export async function topLayers(dockerHost: string, ref: string, count = 1): Promise<Map<string, Entry>[]> {
  const saved = await run("/bin/sh", ["-c", `docker save ${ref} | base64 -w0`], { env: { ...process.env, DOCKER_HOST: dockerHost } });
  if (saved.code !== 0) throw new Error(saved.stderr);
  const outer = await untar(Buffer.from(saved.stdout, "base64"));
  const manifest = JSON.parse(outer.get("manifest.json")!.content) as { Layers: string[] }[];
  const layers = manifest[0].Layers.slice(-count);
  return Promise.all(layers.map(async (l) => untar(Buffer.from(outer.get(l)!.content, "latin1"))));
}

export async function untar(tar: Buffer): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      out.set(h.name.replace(/^\.?\//, "").replace(/\/$/, ""), {
        type: h.type ?? "file", mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, linkname: h.linkname ?? undefined,
        content: Buffer.concat(chunks).toString("latin1"),
      });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => reader.on("finish", resolve).on("error", reject));
  Readable.from([tar]).pipe(reader);
  await done;
  return out;
}
