import { describe, expect, test } from "vitest";
import { buildLayer, type LayerEntry } from "../../../src/build/layer.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { busyboxEntries } from "../../support/base-image.ts";
import { slipwayJson, statuses } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { scratchDir, testEngine, withRegistryAndBase } from "../../support/services.ts";
import { pullAndRun } from "./support.ts";

/**
 * Bases slipway downloads and unpacks itself for a command stage to run on
 * (src/build/remote/stacked.ts), and those it leaves to the engine's pull: a layer that
 * deletes a file of the one below (a whiteout), a VOLUME, a layer repeated. Whichever
 * way, the commands see the base as the engine would show it.
 */
let registry: LocalRegistry;
withRegistryAndBase((r) => (registry = r));

const root = { uid: 0, gid: 0 };

/** Pushes a base of busybox plus one layer per entry list, with `config`, to `ref`. */
async function pushLayered(ref: string, layers: LayerEntry[][], config: Record<string, unknown> = {}): Promise<string> {
  await using seed = await testEngine();
  const engine = new DockerEngine({ socketPath: seed.socketPath });
  const built = [await buildLayer(busyboxEntries()), ...(await Promise.all(layers.map((l) => buildLayer(l))))];
  const diffIds = built.map((l) => l.diffId);
  await engine.loadImage({ architecture: "amd64", os: "linux", config: { Env: ["PATH=/bin"], ...config }, rootfs: { type: "layers", diff_ids: diffIds } }, built.filter((l, i) => diffIds.indexOf(l.diffId) === i), [ref]);
  await Promise.all(built.map((l) => l.dispose()));
  await engine.push(ref);
  return ref;
}

async function build(project: string, base: string, install: string, probe?: string[]) {
  const app = await gitProject({
    "slipway.yaml": `project: ${project}\nconfigVersion: 1\n---\nimage: ~\nfrom: ${base}\nshell:\n  install: [${JSON.stringify(install)}]\ndocker:\n  CMD: ["cat", "/seen"]\n`,
  });
  await using node = await testEngine();
  const env = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-") };
  const repo = `${registry.host}/${project}`;
  const report = await slipwayJson(["bp", repo, "--with-stages", "--tag", "main", "--dir", app.dir], { env });
  const names = (await new DockerEngine({ socketPath: node.socketPath }).listImages({})).flatMap((i) => [...i.repoTags, ...i.repoDigests]);
  // The engine holds the base if it pulled it (by tag or by digest).
  const pulledBase = names.some((n) => n.startsWith(`${base.slice(0, base.lastIndexOf(":"))}@`) || n === base);
  await using other = await testEngine();
  const output = await pullAndRun(other.socketPath, `${repo}:main`);
  return { report, pulledBase, output, probed: probe && (await pullAndRun(other.socketPath, `${repo}:main`, probe)) };
}

describe("bases a command stage runs on", () => {
  test("a base whose upper layer deletes a file and empties a directory is unpacked with overlay's whiteouts: both stay deleted", async () => {
    const base = await pushLayered(`${registry.host}/bases/whiteout:1`, [
      [{ type: "directory", path: "/srv", mode: 0o755, ...root }, { type: "file", path: "/srv/gone", mode: 0o644, ...root, content: Buffer.from("gone") }, { type: "file", path: "/srv/kept", mode: 0o644, ...root, content: Buffer.from("kept") }, { type: "directory", path: "/srv/emptied", mode: 0o755, ...root }, { type: "file", path: "/srv/emptied/old", mode: 0o644, ...root, content: Buffer.from("old") }],
      [{ type: "whiteout", path: "/srv/gone" }, { type: "directory", path: "/srv/emptied", mode: 0o755, ...root }, { type: "file", path: "/srv/emptied/.wh..wh..opq", mode: 0o600, ...root, content: Buffer.alloc(0) }],
    ]);
    const { report, pulledBase, output } = await build("whiteoutbase", base, "ls -R /srv > /seen");
    expect(statuses(report)).toMatchObject({ install: "built" });
    expect(output).toBe("/srv:\nemptied\nkept\n\n/srv/emptied:\n");
    expect(pulledBase).toBe(process.getuid?.() !== 0);
  });

  test("a plain base is unpacked by slipway: the engine never pulls it, and a repeated layer is mounted once", async () => {
    const same = [{ type: "file" as const, path: "/srv/same", mode: 0o640, uid: 7, gid: 8, content: Buffer.from("same") }];
    const base = await pushLayered(`${registry.host}/bases/plain:1`, [same, [{ type: "file", path: "/srv/other", mode: 0o644, ...root, content: Buffer.from("o") }], same]);
    const { report, pulledBase, output } = await build("plainbase", base, "stat -c '%n %a %u:%g' /srv/same /srv/other > /seen");
    expect(statuses(report)).toMatchObject({ install: "built" });
    expect(output).toBe("/srv/same 640 7:8\n/srv/other 644 0:0\n");
    expect(pulledBase).toBe(process.getuid?.() !== 0);
    // The base's bytes are counted once, on the stage that runs on it.
    expect(report.totals.bytesPulled).toBeGreaterThan(0);
  });

  test("a base with a VOLUME is pulled by the engine, which mounts it: writes there stay out of the image", async () => {
    const base = await pushLayered(`${registry.host}/bases/volume:1`, [[{ type: "directory", path: "/data", mode: 0o755, ...root }]], { Volumes: { "/data": {} } });
    const { pulledBase, output, probed } = await build("volumebase", base, "echo x > /data/x; ls /data > /seen", ["ls", "/data"]);
    // The run saw its write in the volume; the image keeps none of it.
    expect(output).toBe("x\n");
    expect(pulledBase).toBe(true);
    expect(probed).toBe("");
  });
});
