import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildLayer, layerBytes } from "../../../src/build/layer.ts";
import { takeChanges, type TakenLayer } from "../../../src/build/remote/changes.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { busyboxEntries } from "../../support/base-image.ts";
import { testEngine } from "../../support/services.ts";
import { gunzipSync } from "node:zlib";
import { createHash } from "node:crypto";

const root = { uid: 0, gid: 0 };
let engine: PrivateEngine;
let docker: DockerEngine;

beforeAll(async () => {
  engine = await testEngine();
  docker = new DockerEngine({ socketPath: engine.socketPath });
  const layer = await buildLayer(busyboxEntries([
    { type: "directory", path: "/srv/old", mode: 0o755, ...root },
    { type: "file", path: "/srv/old/a", mode: 0o644, ...root, content: Buffer.from("a") },
    { type: "file", path: "/srv/gone", mode: 0o644, ...root, content: Buffer.from("gone") },
  ]));
  await docker.loadImage({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [layer.diffId] } }, [layer], ["changes-base:1"]).finally(() => layer.dispose());
}, 120_000);
afterAll(() => engine?.stop());

/** Runs `script` on the base, takes its changes as slipway's own layer, loads the result and lists what the image holds. */
async function runTaken(script: string): Promise<{ taken: TakenLayer | undefined; listing: string }> {
  let taken: TakenLayer | undefined;
  const result = await docker.runAndCommit({ image: "changes-base:1", script, network: false, binds: [], takeChanges: async (dir) => (taken = await takeChanges(dir, true)) !== undefined });
  expect(result).toMatchObject({ exitCode: 0, taken: true });
  const base = await docker.inspectImage("changes-base:1");
  const diffIds = [...base!.config.rootfs.diff_ids, ...(taken?.layer ? [taken.layer.diffId] : [])];
  await docker.loadImage({ ...base!.config, rootfs: { type: "layers", diff_ids: diffIds } }, taken?.layer ? [taken.layer] : [], ["changes-out:1"]);
  let listing = "";
  await docker.runAndCommit({ image: "changes-out:1", script: "find /srv /opt | sort; cat /srv/old/* /opt/y/f 2>/dev/null; ls -l /opt/y | grep -c '^p'", network: false, binds: [], onOutput: (c) => (listing += c.toString()) });
  return { taken, listing };
}

describe("a command stage's layer made from the container's changed files", () => {
  test("the engine offers them and the layer gives the same files: whiteouts, opaque directories, hard links, fifos", async () => {
    expect(await docker.sharesChanges()).toBe(true);
    const { taken, listing } = await runTaken("rm /srv/gone; rm -rf /srv/old && mkdir /srv/old && echo b > /srv/old/b; mkdir -p /opt/y; echo hi > /opt/y/f; ln /opt/y/f /opt/y/g; mkfifo /opt/y/p");
    expect(listing).toBe(["/opt", "/opt/y", "/opt/y/f", "/opt/y/g", "/opt/y/p", "/srv", "/srv/old", "/srv/old/b", "b", "hi", "1", ""].join("\n"));
    // The blob is the gzip of the tar whose sha256 is the diff id: what a registry and a pull check.
    const tar = gunzipSync(taken!.gz!.data);
    expect(`sha256:${createHash("sha256").update(tar).digest("hex")}`).toBe(taken!.layer!.diffId);
    expect(`sha256:${createHash("sha256").update(taken!.gz!.data).digest("hex")}`).toBe(taken!.gz!.digest);
    expect(tar.equals(await layerBytes(taken!.layer!))).toBe(true);
    await taken!.layer!.dispose();
  }, 120_000);

  test("a run that changes no file gives no layer", async () => {
    const { taken, listing } = await runTaken("true");
    expect(taken).toEqual({});
    expect(listing).toContain("/srv/gone");
  }, 120_000);
});
