import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { createRegistry } from "../../../src/registry/index.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { scratchDir, testEngine } from "../../support/services.ts";

/** A fresh build node: a new engine with an empty data root and an empty SLIPWAY_HOME. */
export interface Node {
  engine: PrivateEngine;
  env: Record<string, string>;
}

export async function freshNode(extra: Record<string, string> = {}): Promise<Node> {
  const engine = await testEngine();
  return { engine, env: { DOCKER_HOST: `unix://${engine.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), ...extra } };
}

export function client(host: string): Registry {
  return createRegistry({ host });
}

/** Files of one gzip layer blob: path -> content. */
export async function layerFiles(blob: Uint8Array): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      if (h.type === "file") out.set(h.name.replace(/^\.?\//, ""), Buffer.concat(chunks).toString("latin1"));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => reader.on("finish", resolve).on("error", reject));
  Readable.from([gunzipSync(blob)]).pipe(reader);
  await done;
  return out;
}

/** Every layer blob the manifest under `tag` names, in order. */
export async function layersOf(registry: Registry, repository: string, tag: string): Promise<Uint8Array[]> {
  const m = await registry.getManifest(repository, tag);
  if (!m) throw new Error(`no ${repository}:${tag}`);
  const manifest = JSON.parse(Buffer.from(m.body).toString()) as { layers: Array<{ digest: string }> };
  return Promise.all(manifest.layers.map((l) => registry.getBlob(repository, l.digest)));
}

/** A file of an image as its layers leave it (last writer wins). */
export async function imageFile(registry: Registry, repository: string, tag: string, path: string): Promise<string | undefined> {
  let content: string | undefined;
  for (const blob of await layersOf(registry, repository, tag)) content = (await layerFiles(blob)).get(path) ?? content;
  return content;
}
