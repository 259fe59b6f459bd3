import { execFileSync, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildLayer, layerBytes } from "../../../src/build/layer.ts";
import { takeChanges, type TakenLayer } from "../../../src/build/remote/changes.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import type { ImageConfigDocument, RunSpec } from "../../../src/engine/types.ts";
import { extract } from "tar-stream";
import { Readable } from "node:stream";
import { busyboxEntries } from "../../support/base-image.ts";
import { scratchDir, testEngine } from "../../support/services.ts";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The runc executor (src/engine/runc.ts) must be indistinguishable from dockerd's start:
 * the same script on the same image gives the same output and the same layer, entry for
 * entry, under either executor; what runc cannot do exactly goes to dockerd.
 */
const root = { uid: 0, gid: 0 };
let dockerd: PrivateEngine;
const engines: Record<"runc" | "engine", DockerEngine> = {} as never;

beforeAll(async () => {
  dockerd = await testEngine();
  engines.runc = new DockerEngine({ socketPath: dockerd.socketPath, executor: "runc" });
  engines.engine = new DockerEngine({ socketPath: dockerd.socketPath, executor: "engine" });
  const layer = await buildLayer(busyboxEntries([
    { type: "file", path: "/etc/passwd", mode: 0o644, ...root, content: Buffer.from("root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000::/home/builder:/bin/sh\n") },
    { type: "file", path: "/etc/group", mode: 0o644, ...root, content: Buffer.from("root:x:0:\nbuilder:x:1000:\nstaff:x:50:builder\n") },
    { type: "directory", path: "/home/builder", mode: 0o755, uid: 1000, gid: 1000 },
    { type: "file", path: "/srv/gone", mode: 0o644, ...root, content: Buffer.from("gone") },
    { type: "symlink", path: "/srv/sh", ...root, target: "../bin/sh" },
  ]));
  const config = (over: Partial<ImageConfigDocument["config"]>): ImageConfigDocument => ({ architecture: "amd64", os: "linux", config: { Env: ["PATH=/bin", "MODE=image"], ...over }, rootfs: { type: "layers", diff_ids: [layer.diffId] } });
  await engines.engine.loadImage(config({}), [layer], ["runc-base:1"]);
  await engines.engine.loadImage(config({ User: "builder", WorkingDir: "/work/here" }), [], ["runc-user:1"]);
  await engines.engine.loadImage(config({ User: "nobody-here" }), [], ["runc-nouser:1"]);
  await layer.dispose();
}, 120_000);
afterAll(() => dockerd?.stop());

async function entriesOf(taken: TakenLayer | undefined): Promise<string[]> {
  if (!taken?.layer) return [];
  const out: string[] = [];
  const reader = extract();
  reader.on("entry", (h, stream, next) => {
    out.push(`${h.type} ${h.name} ${h.mode?.toString(8)} ${h.uid}:${h.gid} ${h.size} ${h.linkname ?? ""}`);
    stream.resume().on("end", next);
  });
  Readable.from(await layerBytes(taken.layer)).pipe(reader);
  await new Promise<void>((resolve, reject) => reader.on("finish", () => resolve()).on("error", reject));
  await taken.layer.dispose();
  return out;
}

async function runBoth(spec: Omit<RunSpec, "takeChanges" | "onOutput">) {
  const out: Record<string, { exitCode: number; output: string; layer: string[] }> = {};
  for (const executor of ["runc", "engine"] as const) {
    const engine = engines[executor];
    let taken: TakenLayer | undefined;
    let output = "";
    const before = { ...engine.runs };
    const result = await engine.runAndCommit({ ...spec, onOutput: (c) => (output += c.toString()), takeChanges: async (dir) => (taken = await takeChanges(dir, true)) !== undefined });
    expect(engine.runs[executor] - before[executor], `${executor} started the container`).toBe(1);
    out[executor] = { exitCode: result.exitCode, output, layer: await entriesOf(taken) };
  }
  return out;
}

describe("command containers started by runc on dockerd's layers", () => {
  test("give what dockerd's start gives: output, environment, user, groups, WORKDIR, files, owners, modes, whiteouts", async () => {
    const script = [
      "id; pwd; echo HOME=$HOME MODE=$MODE BUILD=$BUILD PATH=$PATH; cat /etc/hostname | wc -c; grep -c localhost /etc/hosts",
      "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; ls /dev | sort | tr '\\n' ' '; echo",
      "ulimit -n >/dev/null && echo limits; [ -w /proc/sys ] || echo proc-sys-ro",
      // dockerd's seccomp profile and capabilities: no new namespaces, no mounts, no clock changes.
      "unshare -U true 2>/dev/null || echo no-userns; unshare -m true 2>/dev/null || echo no-mountns; mount -t tmpfs t /mnt 2>/dev/null || echo no-mount",
      "mkdir -p /tmp/t && echo a > /tmp/t/f && chmod 600 /tmp/t/f; ln -s f /tmp/t/l; ln /tmp/t/f /tmp/t/h; echo $(ls -ln /tmp/t | wc -l)",
    ].join("; ");
    const asRoot = await runBoth({ image: "runc-base:1", script: `${script}; rm /srv/gone; mkdir -p /opt/o && echo o > /opt/o/f && chown 1000:50 /opt/o/f && chmod 640 /opt/o/f; mkfifo /opt/o/p`, network: false, binds: [], env: ["BUILD=yes", "MODE=build"] });
    expect(asRoot.runc).toEqual(asRoot.engine);
    expect(asRoot.runc.exitCode).toBe(0);
    expect(asRoot.runc.output).toContain("uid=0(root) gid=0(root)");
    expect(asRoot.runc.output).toContain("HOME=/root MODE=build BUILD=yes PATH=/bin");
    expect(asRoot.runc.output).toMatch(/\nlo\n/);
    expect(asRoot.runc.output).toContain("no-userns\nno-mountns\nno-mount\n");
    expect(asRoot.runc.layer.some((e) => e.startsWith("file srv/.wh.gone "))).toBe(true);
    expect(asRoot.runc.layer.some((e) => e.startsWith("file opt/o/f 640 1000:50 2"))).toBe(true);

    const asUser = await runBoth({ image: "runc-user:1", script: `${script}; echo mine > /home/builder/f`, network: false, binds: [], imageUser: true });
    expect(asUser.runc).toEqual(asUser.engine);
    expect(asUser.runc.output).toContain("uid=1000(builder) gid=1000(builder) groups=50(staff),1000(builder)");
    expect(asUser.runc.output).toContain("/work/here\nHOME=/home/builder");
    expect(asUser.runc.layer.some((e) => e.startsWith("directory work/here/ 755 0:0"))).toBe(true);
  }, 120_000);

  test("exit codes, argv, binds and a file stub are as dockerd's", async () => {
    const dir = await scratchDir("slipway-runc-");
    await writeFile(join(dir, "in.txt"), "from the host\n");
    const failed = await runBoth({ image: "runc-base:1", script: "echo out; echo err >&2; exit 7", network: false, binds: [] });
    // stdout and stderr are two pipes under either executor, whose order neither keeps: compare the lines.
    const lines = (r: { output: string }) => r.output.split("\n").sort();
    expect(lines(failed.runc)).toEqual(lines(failed.engine));
    expect(failed.runc).toMatchObject({ exitCode: 7, layer: [] });
    expect(lines(failed.runc)).toEqual(["", "err", "out"]);
    expect(failed.engine).toMatchObject({ exitCode: 7, layer: [] });
    const argv = await runBoth({ image: "runc-base:1", script: "", argv: ["/srv/sh", "-c", "echo $0 $1", "a", "b"], network: false, binds: [] });
    expect(argv.runc).toEqual(argv.engine);
    expect(argv.runc.output).toBe("a b\n");
    const bound = await runBoth({ image: "runc-base:1", script: "cat /mnt/in/in.txt; echo back > /mnt/in/out-$$; echo sec > /run/x/secret || echo ro", network: false, binds: [{ source: dir, target: "/mnt/in" }, { source: dir, target: "/run/x", readOnly: true }] });
    expect(bound.runc.output).toContain("from the host\n");
    expect(bound.runc.output).toContain("ro\n");
    expect(bound.runc.layer).toEqual(bound.engine.layer);
  }, 120_000);

  test("the overlay mount is never in this machine's mount table, during the run or after", async () => {
    let during = "";
    await engines.runc.runAndCommit({
      image: "runc-base:1", script: "echo started; sleep 1", network: false, binds: [],
      onOutput: async () => (during = await readFile("/proc/self/mountinfo", "utf8")),
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(during).not.toBe("");
    expect(during).not.toContain("slipway-runc-");
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain("slipway-runc-");
  }, 60_000);

  test("a job killed outright (SIGKILL: no handler runs) takes its container with it", async () => {
    const marker = `sleep 4${Math.floor(Math.random() * 1000)}`;
    const docker = new URL("../../../src/engine/docker.ts", import.meta.url).pathname;
    const script = `import { DockerEngine } from ${JSON.stringify(docker)};
      await new DockerEngine({ socketPath: ${JSON.stringify(dockerd.socketPath)} }).runAndCommit({ image: "runc-base:1", script: ${JSON.stringify(`echo started; ${marker}`)}, network: false, binds: [], onOutput: (c) => process.stdout.write(c) });`;
    const job = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => job.stdout.on("data", (c: Buffer) => c.toString().includes("started") && resolve()));
    expect(execFileSync("ps", ["-eo", "args="], { encoding: "utf8" })).toContain(marker);
    job.kill("SIGKILL");
    let left = marker;
    for (let i = 0; i < 50 && left.includes(marker); i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = execFileSync("ps", ["-eo", "args="], { encoding: "utf8" });
    }
    expect(left).not.toContain(marker);
  }, 60_000);

  test("a stopped job (SIGTERM to its process group) stops the container too, and leaves no process behind", async () => {
    const marker = `sleep 3${Math.floor(Math.random() * 1000)}`;
    const running = engines.runc.runAndCommit({ image: "runc-base:1", script: `echo started; ${marker}`, network: false, binds: [] });
    const processes = () => execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" });
    let wrapper: number | undefined;
    for (let i = 0; i < 100 && wrapper === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const table = processes().split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 2).map(([pid, ppid, ...args]) => ({ pid: Number(pid), ppid: Number(ppid), args: args.join(" ") }));
      // The shell that holds the run's mount namespace (what a job's process group signal reaches):
      // the parent of the runc that runs this container's process.
      const sleeper = table.find((p) => p.args === marker);
      const runc = sleeper && table.find((p) => p.pid === sleeper.ppid);
      const shell = runc && table.find((p) => p.pid === runc.ppid);
      if (shell?.args.startsWith("sh -c trap") && shell.args.includes("mount -t overlay")) wrapper = shell.pid;
    }
    expect(wrapper).toBeGreaterThan(0);
    process.kill(wrapper as number, "SIGTERM");
    const result = await running;
    expect(result.exitCode).toBe(137);
    expect(processes()).not.toContain(marker);
  }, 60_000);

  test("what runc cannot do as dockerd would goes to dockerd: a user the image lacks, a network", async () => {
    const before = { ...engines.runc.runs };
    const noUser = await engines.runc.runAndCommit({ image: "runc-nouser:1", script: "true", network: false, binds: [], imageUser: true }).then((r) => r.exitCode, (e: Error) => e.message);
    const noUserEngine = await engines.engine.runAndCommit({ image: "runc-nouser:1", script: "true", network: false, binds: [], imageUser: true }).then((r) => r.exitCode, (e: Error) => e.message);
    expect(noUser).toEqual(noUserEngine);
    expect(String(noUser)).toMatch(/nobody-here/);
    expect(engines.runc.runs.runc).toBe(before.runc);
  }, 60_000);
});

/** Runs `spec` under both executors without requiring who started it; a thrown error is the result's `error`. */
async function runEach(spec: Omit<RunSpec, "takeChanges" | "onOutput">) {
  const out: Record<string, { exitCode?: number; error?: string; output: string; layer: string[] }> = {};
  for (const executor of ["runc", "engine"] as const) {
    let taken: TakenLayer | undefined;
    let output = "";
    const result = await engines[executor].runAndCommit({ ...spec, onOutput: (c) => (output += c.toString()), takeChanges: async (dir) => (taken = await takeChanges(dir, true)) !== undefined })
      .then((r) => ({ exitCode: r.exitCode }), (e: Error) => ({ error: e.message.replace(/[0-9a-f]{64}/g, "ID") }));
    out[executor] = { ...result, output, layer: await entriesOf(taken) };
  }
  return out;
}

describe("runc against dockerd: mounts, image volumes, umask, start failures", () => {
  beforeAll(async () => {
    const image = await engines.engine.inspectImage("runc-base:1");
    await engines.engine.loadImage({ ...image!.config, config: { ...image!.config.config, Volumes: { "/data": {} } } }, [], ["runc-volume:1"]);
  });

  test("binds are mounted parents first, as dockerd sorts them, whatever their order in the spec", async () => {
    const [outer, inner] = [await scratchDir("slipway-runc-"), await scratchDir("slipway-runc-")];
    await writeFile(join(outer, "in.txt"), "outer\n");
    await writeFile(join(inner, "in.txt"), "inner\n");
    const r = await runBoth({ image: "runc-base:1", script: "cat /srv/a/in.txt /srv/a/b/in.txt", network: false, binds: [{ source: inner, target: "/srv/a/b" }, { source: outer, target: "/srv/a" }] });
    expect(r.engine).toMatchObject({ exitCode: 0, output: "outer\ninner\n" });
    expect(r.runc).toEqual(r.engine);
  }, 60_000);

  test("an image's VOLUME is dockerd's to mount: writes there stay out of the layer", async () => {
    const r = await runEach({ image: "runc-volume:1", script: "echo v > /data/f; ls /data", network: false, binds: [] });
    expect(r.engine).toMatchObject({ exitCode: 0, output: "f\n", layer: ["directory data/ 755 0:0 0 "] });
    expect(r.runc).toEqual(r.engine);
  }, 60_000);

  test("mount points and /etc/hosts do not depend on slipway's umask (dockerd runs with 0022)", async () => {
    const dir = await scratchDir("slipway-runc-");
    await writeFile(join(dir, "file.conf"), "conf\n");
    const old = process.umask(0o077);
    try {
      const script = "ls -ld /mnt/new/deep /opt/cfg | cut -c1-10; ls -l /etc/hosts /etc/hostname /etc/resolv.conf | cut -c1-10; echo made > /tmp/x";
      const binds = [{ source: dir, target: "/mnt/new/deep" }, { source: join(dir, "file.conf"), target: "/opt/cfg/file.conf" }];
      const r = await runBoth({ image: "runc-base:1", script, network: false, binds });
      expect(r.engine.layer).toContain("directory mnt/new/ 755 0:0 0 ");
      expect(r.runc).toEqual(r.engine);
      const user = await runBoth({ image: "runc-user:1", script: "cat /etc/hosts /etc/hostname /etc/resolv.conf >/dev/null && echo readable", network: false, binds: [], imageUser: true });
      expect(user.engine.output).toBe("readable\n");
      expect(user.runc).toEqual(user.engine);
    } finally {
      process.umask(old);
    }
  }, 60_000);

  test("a program that cannot be started fails as dockerd's start fails, not as the command's exit code", async () => {
    for (const argv of [["no-such-program", "x"], ["/etc/passwd"]]) {
      const r = await runEach({ image: "runc-base:1", script: "", argv, network: false, binds: [] });
      expect(r.engine.error).toMatch(/exec: .*(not found|permission denied)/);
      expect(r.runc).toEqual(r.engine);
    }
  }, 60_000);
});
