import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { extract } from "tar-stream";
import { describe, expect, it } from "vitest";
import { buildLayer, type LayerEntry } from "../../../src/build/layer.ts";
import { extractFile } from "../../../src/build/tar-read.ts";
import type { Engine, ImageConfigDocument, RunSpec } from "../../../src/engine/types.ts";
import type { Registry } from "../../../src/registry/types.ts";
import { busyboxEntries } from "../../support/base-image.ts";

/** What a contract test runs against: an engine, and a registry it can reach (with slipway's client to look). */
export interface EngineWorld {
  engine: Engine;
  registryHost: string;
  registry: Registry;
}

const unique = (what: string) => `contract-${what}-${randomBytes(4).toString("hex")}`;
const file = (path: string, text: string, mode = 0o644): LayerEntry => ({ type: "file", path, mode, uid: 0, gid: 0, content: Buffer.from(text) });

function doc(diffIds: string[], over: Partial<ImageConfigDocument["config"]> = {}, label = unique("l")): ImageConfigDocument {
  return {
    architecture: "amd64",
    os: "linux",
    created: "1970-01-01T00:00:00Z",
    author: "contract",
    config: { Env: ["PATH=/bin"], Cmd: ["sh"], Labels: { contract: label }, ...over },
    rootfs: { type: "layers", diff_ids: diffIds },
  };
}

/** A busybox image (plus `extra` files) loaded under a fresh tag. */
async function busybox(engine: Engine, extra: LayerEntry[] = [], over: Partial<ImageConfigDocument["config"]> = {}) {
  const layer = await buildLayer(busyboxEntries(extra));
  const ref = `${unique("busybox")}:1`;
  const config = doc([layer.diffId], over);
  const id = await engine.loadImage(config, [layer], [ref]).finally(() => layer.dispose());
  return { ref, id, config, diffId: layer.diffId };
}

async function text(engine: Engine, image: string, path: string): Promise<string | undefined> {
  return (await engine.readPath(image, path, extractFile))?.toString("utf8");
}

async function headers(tar: Readable): Promise<{ name: string; uid?: number; type?: string | null }[]> {
  const out: { name: string; uid?: number; type?: string | null }[] = [];
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    out.push({ name: h.name, uid: h.uid, type: h.type });
    stream.resume();
    stream.on("end", next);
  });
  tar.pipe(reader);
  await new Promise<void>((resolve, reject) => reader.on("finish", () => resolve()).on("error", reject));
  return out;
}

/** Runs `script` on `image`, then loads the result as an image: its ref, and what the run returned. */
async function runAndLoad(engine: Engine, image: { ref: string; config: ImageConfigDocument }, script: string, over: Partial<RunSpec> = {}) {
  const output: Buffer[] = [];
  const result = await engine.runAndCommit({ image: image.ref, script, network: false, binds: [], onOutput: (c) => output.push(c), ...over });
  const ref = `${unique("ran")}:1`;
  if (result.exitCode === 0) {
    const diffIds = [...image.config.rootfs.diff_ids, ...(result.diffId ? [result.diffId] : [])];
    await engine.loadImage({ ...image.config, rootfs: { type: "layers", diff_ids: diffIds } }, [], [ref]);
  }
  if (result.committed) await engine.removeImage(result.committed);
  return { result, ref, output: Buffer.concat(output).toString("utf8") };
}

/**
 * The behaviour every Engine implementation must show: run against DockerEngine on a
 * private dockerd (integration) and MemoryEngine (unit). `world` may hand out one
 * engine to every test: names are unique per test.
 */
export function engineContract(name: string, world: () => Promise<EngineWorld>) {
  describe(`Engine contract: ${name}`, () => {
    it("reports absent images and paths as absent", async () => {
      const { engine } = await world();
      expect(await engine.inspectImage(`${unique("none")}:1`)).toBeUndefined();
      await engine.removeImage(`${unique("none")}:1`);
      const image = await busybox(engine);
      expect(await engine.readPath(image.ref, "/no/such/file", extractFile)).toBeUndefined();
    });

    it("loads an image with exactly its config, by id, tag and label", async () => {
      const { engine } = await world();
      const image = await busybox(engine, [], { WorkingDir: "/srv", User: "app" });
      expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const local = await engine.inspectImage(image.ref);
      expect(local).toMatchObject({ id: image.id, repoTags: [image.ref] });
      expect(local?.config).toEqual({
        architecture: "amd64", os: "linux", author: "contract",
        config: { Env: ["PATH=/bin"], Cmd: ["sh"], Labels: image.config.config.Labels, WorkingDir: "/srv", User: "app" },
        rootfs: { type: "layers", diff_ids: [image.diffId] },
      });
      expect((await engine.inspectImage(image.id))?.id).toBe(image.id);
      expect((await engine.listImages(image.config.config.Labels!)).map((i) => i.id)).toEqual([image.id]);
      expect(await engine.listImages({ contract: unique("nobody") })).toEqual([]);
    });

    it("reuses layers it has, and refuses an image whose layer it has not", async () => {
      const { engine } = await world();
      const image = await busybox(engine);
      const again = await engine.loadImage(doc([image.diffId]), [], [`${unique("reuse")}:1`]);
      expect((await engine.inspectImage(again))?.config.rootfs.diff_ids).toEqual([image.diffId]);
      const missing = await buildLayer([file("/x", unique("x"))]);
      await missing.dispose();
      await expect(engine.loadImage(doc([image.diffId, missing.diffId]), [], [`${unique("missing")}:1`])).rejects.toMatchObject({ name: "EngineError" });
    });

    it("reads files and directories as tars named from the path", async () => {
      const { engine } = await world();
      const image = await busybox(engine, [{ type: "directory", path: "/app", mode: 0o755, uid: 0, gid: 0 }, file("/app/a.txt", "A"), file("/app/b.txt", "B")]);
      expect(await text(engine, image.ref, "/app/a.txt")).toBe("A");
      expect(await text(engine, image.ref, "/etc/passwd")).toContain("app:x:1000:1000");
      const names = (await engine.readPath(image.ref, "/app", headers))?.map((h) => h.name.replace(/\/$/, ""));
      expect(names).toEqual(["app", "app/a.txt", "app/b.txt"]);
    });

    it("tags, untags and removes images; a removed image's layers are gone", async () => {
      const { engine } = await world();
      const image = await busybox(engine, [file("/only-here", unique("o"))]);
      const other = `${unique("other")}:2`;
      await engine.tag(image.ref, other);
      expect((await engine.inspectImage(other))?.id).toBe(image.id);
      await engine.removeImage(image.ref);
      expect(await engine.inspectImage(image.ref)).toBeUndefined();
      expect((await engine.inspectImage(other))?.id).toBe(image.id);
      await engine.removeImage(other);
      expect(await engine.inspectImage(image.id)).toBeUndefined();
      await expect(engine.loadImage(doc([image.diffId]), [], [`${unique("gone")}:1`])).rejects.toMatchObject({ name: "EngineError" });
    });

    it("runs a script and commits what it changed as one layer", async () => {
      const { engine } = await world();
      const image = await busybox(engine);
      const ran = await runAndLoad(engine, image, "set -e\nmkdir -p /out\necho hello\necho \"$GREETING world\" > /out/a\necho more >> /out/a\nrm /etc/group", { env: ["GREETING=hi"] });
      expect(ran.result).toMatchObject({ exitCode: 0, diffId: expect.stringMatching(/^sha256:/) });
      expect(ran.output).toContain("hello");
      expect(await text(engine, ran.ref, "/out/a")).toBe("hi world\nmore\n");
      expect(await engine.readPath(ran.ref, "/etc/group", extractFile)).toBeUndefined();
      expect(await text(engine, image.ref, "/etc/group")).toContain("root");
    });

    it("reports a failed run by its exit code, and a run that changed nothing without a layer", async () => {
      const { engine } = await world();
      const image = await busybox(engine);
      expect((await runAndLoad(engine, image, "set -e\nfalse\necho never > /x")).result).toEqual({ exitCode: 1 });
      expect((await runAndLoad(engine, image, "exit 3")).result.exitCode).toBe(3);
      const missing = await runAndLoad(engine, image, "no-such-command-here");
      expect(missing.result.exitCode).toBe(127);
      expect(missing.output).toContain("not found");
      const nothing = await runAndLoad(engine, image, "true");
      expect(nothing.result.exitCode).toBe(0);
      expect(nothing.result.diffId).toBeUndefined();
    });

    it("runs in the image's WORKDIR, as root unless asked for the image's USER, with argv", async () => {
      const { engine } = await world();
      const image = await busybox(engine, [{ type: "directory", path: "/work", mode: 0o777, uid: 0, gid: 0 }], { WorkingDir: "/work", User: "app" });
      const root = await runAndLoad(engine, image, "touch mine");
      expect((await engine.readPath(root.ref, "/work/mine", headers))?.[0]).toMatchObject({ name: "mine", uid: 0 });
      const user = await runAndLoad(engine, image, "touch mine", { imageUser: true });
      expect((await engine.readPath(user.ref, "/work/mine", headers))?.[0]).toMatchObject({ uid: 1000 });
      const argv = await runAndLoad(engine, image, "", { argv: ["/bin/sh", "-c", "echo exec > /work/e"] });
      expect(await text(engine, argv.ref, "/work/e")).toBe("exec\n");
    });

    it("mounts binds: reads come from the host, writes go there and never into the layer", async () => {
      const { engine } = await world();
      const image = await busybox(engine);
      const input = await mkdtemp(join(tmpdir(), "contract-in-"));
      const cache = await mkdtemp(join(tmpdir(), "contract-cache-"));
      await writeFile(join(input, "secret"), "s3cret\n");
      const binds = [{ source: input, target: "/in", readOnly: true }, { source: cache, target: "/cache" }];
      const ran = await runAndLoad(engine, image, "set -e\ncat /in/secret > /copied\necho cached > /cache/f", { binds });
      expect(await text(engine, ran.ref, "/copied")).toBe("s3cret\n");
      expect(await readFile(join(cache, "f"), "utf8")).toBe("cached\n");
      expect(await engine.readPath(ran.ref, "/cache/f", extractFile)).toBeUndefined();
    });

    it("pushes layers once and pulls back only what it lacks", async () => {
      const { engine, registryHost, registry } = await world();
      const image = await busybox(engine, [file("/pushed", unique("p"))]);
      const repo = `contract/${unique("push")}`;
      const remote = `${registryHost}/${repo}:1`;
      await engine.tag(image.ref, remote);
      const first = await engine.push(remote);
      expect(first.uploaded).toContain(image.diffId.slice(7, 19));
      expect(first.digest).toBe((await registry.headManifest(repo, "1"))?.digest);
      expect((await engine.push(remote)).uploaded).toEqual([]);
      const manifest = JSON.parse(Buffer.from((await registry.getManifest(repo, "1"))!.body).toString()) as { layers: { size: number }[] };
      expect((await engine.pull(remote)).bytes).toBe(0);
      await engine.removeImage(remote);
      await engine.removeImage(image.ref);
      expect(await engine.inspectImage(image.id)).toBeUndefined();
      expect((await engine.pull(remote)).bytes).toBe(manifest.layers[0].size);
      expect((await engine.inspectImage(remote))?.id).toBe(image.id);
      expect(await text(engine, remote, "/pushed")).toMatch(/^contract-p-/);
      await expect(engine.pull(`${registryHost}/${repo}:nope`)).rejects.toMatchObject({ name: "EngineError", statusCode: 404 });
    });
  });
}
