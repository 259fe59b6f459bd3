import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { xz } from "@napi-rs/lzma";
import { pack } from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { run } from "../../../src/util/process.ts";
import { slipway, slipwayJson, statuses } from "../../support/cli.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";
import { buildkit, contextDir, fileTree, imageConfig } from "./support.ts";

let world: BuildWorld;
let server: Server;
let served: Record<string, Buffer> = {};
let origin: string;

beforeAll(async () => {
  world = await buildWorld();
  server = createServer((req, res) => {
    const body = served[req.url ?? ""];
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await world?.stop();
});

/** A tar with a file, an executable owned by 1000:1000, a private directory, a link and a nested file. */
async function tarball(): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on("end", () => resolve()));
  p.entry({ name: "app/", type: "directory", mode: 0o750, uid: 0, gid: 0 });
  p.entry({ name: "app/readme.txt", mode: 0o644, uid: 0, gid: 0 }, "read me\n");
  p.entry({ name: "app/bin/run", mode: 0o755, uid: 1000, gid: 1000 }, "#!/bin/sh\necho run\n");
  p.entry({ name: "app/private/", type: "directory", mode: 0o700, uid: 33, gid: 33 });
  p.entry({ name: "app/private/key", mode: 0o600, uid: 33, gid: 33 }, "k\n");
  p.entry({ name: "app/current", type: "symlink", linkname: "bin/run", mode: 0o777, uid: 0, gid: 0 });
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function compare(dir: string, name: string, extra: string[] = []): Promise<void> {
  const args = ["--build-arg", `BASE=${world.base}`, ...extra];
  const report = await slipwayJson(["build", "--dir", dir, ...args], { env: world.env });
  const theirs = `buildkit/${name}:latest`;
  await buildkit(world.engine.socketPath, dir, theirs, args);
  const socket = world.engine.socketPath;
  expect(await fileTree(socket, report.images[0].ref)).toEqual(await fileTree(socket, theirs));
  expect(await imageConfig(socket, report.images[0].ref)).toEqual(await imageConfig(socket, theirs));
}

describe("ADD", () => {
  test("a local tar (plain, gzip, bzip2, xz) is unpacked with its modes, owners and links, as BuildKit does; other files are copied", async () => {
    const tar = await tarball();
    const dir = await contextDir({ Dockerfile: `ARG BASE
FROM \${BASE}
ADD plain.tar /plain
ADD app.tar.gz /opt/
ADD app.tar.bz2 app.tar.xz /multi/
ADD --chown=1000:1000 app.tar.gz /owned/
ADD notatar.gz /files/
ADD nested/ /nested/
COPY app.tar.gz /copied/
WORKDIR /srv
ADD app.tar.gz .
` });
    await writeFile(join(dir, "plain.tar"), tar);
    await writeFile(join(dir, "app.tar.gz"), gzipSync(tar));
    await writeFile(join(dir, "app.tar.xz"), xz.compressSync(tar));
    await writeFile(join(dir, "app.tar"), tar);
    const bz = await run("/bin/sh", ["-c", `bzip2 -k -c ${join(dir, "app.tar")} > ${join(dir, "app.tar.bz2")} && rm ${join(dir, "app.tar")}`]);
    expect(bz.code).toBe(0);
    await writeFile(join(dir, "notatar.gz"), gzipSync("just text\n"));
    await run("/bin/sh", ["-c", `mkdir ${join(dir, "nested")} && cp ${join(dir, "app.tar.gz")} ${join(dir, "nested")}/`]);
    await compare(dir, "add-archives");
  });

  test("a URL: refused without the network, by name and line; with it fetched (0600, not unpacked), --checksum checked, its content in the digest", async () => {
    const tar = await tarball();
    served = { "/files/hello.txt": Buffer.from("hello\n"), "/dl/app.tar.gz": gzipSync(tar) };
    const sum = (await run("/bin/sh", ["-c", "printf 'hello\\n' | sha256sum"])).stdout.split(" ")[0];
    const text = (checksum: string) => `ARG BASE
FROM \${BASE}
ADD ${origin}/files/hello.txt /srv/
ADD ${origin}/dl/app.tar.gz /srv/app.tgz
${checksum ? `ADD --checksum=${checksum} ${origin}/files/hello.txt /srv/checked.txt\n` : ""}`;
    const dir = await contextDir({ Dockerfile: text(`sha256:${sum}`) });
    const refused = await slipway(["plan", "--dir", dir, "--build-arg", `BASE=${world.base}`, "--json"], { env: world.env });
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ file: "Dockerfile", line: 3 });
    expect(refused.stderr).toMatch(/Dockerfile:3: ADD of a URL \(http:.*hello\.txt\) needs the network/);

    // The engine's BuildKit frontend predates --checksum: it builds the file without that line.
    const plain = await contextDir({ Dockerfile: text("") });
    await compare(plain, "add-url", ["--network", "default"]);
    const built = await slipwayJson(["build", "--dir", dir, "--build-arg", `BASE=${world.base}`, "--network", "default"], { env: world.env });
    expect(await fileTree(world.engine.socketPath, built.images[0].ref)).toMatchObject({ "srv/checked.txt": "file 100600 0:0 6", "srv/hello.txt": "file 100600 0:0 6", "srv/app.tgz": expect.stringMatching(/^file 100600 0:0 /) });

    const again = await slipwayJson(["plan", "--dir", dir, "--build-arg", `BASE=${world.base}`, "--network", "default"], { env: world.env });
    expect(Object.values(statuses(again))).toEqual(["local", "local", "local", "local"]);
    served["/files/hello.txt"] = Buffer.from("hello, changed\n");
    const changed = await slipwayJson(["plan", "--dir", dir, "--build-arg", `BASE=${world.base}`, "--network", "default"], { env: world.env });
    expect(changed.images[0].stages.map((s) => s.status)).toEqual(["local", "missing", "missing", "missing"]);
    expect(changed.images[0].stages[1].reason).toContain("urls");

    await writeFile(join(dir, "Dockerfile"), text(`sha256:${"0".repeat(64)}`));
    const mismatch = await slipway(["build", "--dir", dir, "--build-arg", `BASE=${world.base}`, "--network", "default"], { env: world.env });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain("checksum mismatch");
  });

  test("a URL that cannot be fetched (404, connection refused), when planning or when its layer is made: Dockerfile:line and the URL, exit 1, nothing published", async () => {
    served = { "/files/hello.txt": Buffer.from("hello\n") };
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const sum = `sha256:${"a".repeat(64)}`;
    const cases: [string, string, RegExp][] = [
      // --checksum: fetched when the layer is made
      [`ADD --checksum=${sum} ${origin}/files/missing.txt /srv/`, `${origin}/files/missing.txt`, /HTTP 404/],
      [`ADD --checksum=${sum} http://127.0.0.1:${closed}/x.txt /srv/x.txt`, `http://127.0.0.1:${closed}/x.txt`, /ECONNREFUSED|connection refused|fetch failed/i],
      // no --checksum: fetched when planning (its content is the digest input)
      [`ADD ${origin}/files/missing.txt /srv/`, `${origin}/files/missing.txt`, /HTTP 404/],
    ];
    for (const [n, [line, url, why]] of cases.entries()) {
      const dir = await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN echo ok > /ok\n${line}\nCMD ["cat", "/ok"]\n` });
      const repo = `${world.registry.host}/add-fails-${n}`;
      const env = { ...world.env, CI_COMMIT_REF_NAME: "main" };
      for (const args of [["build", "--dir", dir], ["bp", repo, "--tag-ci", "--dir", dir]]) {
        const res = await slipway([...args, "--build-arg", `BASE=${world.base}`, "--network", "default", "--json"], { env });
        expect(res.code, `${line} (${args[0]}): ${res.stderr}`).toBe(1);
        expect(res.stderr).toContain(`Dockerfile:4: ADD: cannot fetch ${url}: `);
        expect(res.stderr).toContain(url);
        expect(res.stderr).toMatch(why);
        expect(res.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
        expect(JSON.parse(res.stdout).error).toMatchObject({ file: "Dockerfile", line: 4 });
      }
      const tags = await fetch(`http://${world.registry.host}/v2/add-fails-${n}/tags/list`).then((r) => (r.ok ? r.json() : { tags: [] })) as { tags: string[] | null };
      expect(tags.tags ?? []).not.toContain("main");
    }
    // Without the network the URL is refused before anything is built: a config error, exit 2.
    const dir = await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN echo ok > /ok\nADD --checksum=${sum} ${origin}/files/hello.txt /srv/\n` });
    const res = await slipway(["bp", `${world.registry.host}/add-fails-net`, "--tag-ci", "--dir", dir, "--build-arg", `BASE=${world.base}`, "--json"], { env: { ...world.env, CI_COMMIT_REF_NAME: "main" } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`Dockerfile:4: ADD of a URL (${origin}/files/hello.txt) needs the network`);
    expect(JSON.parse(res.stdout).error).toMatchObject({ kind: "config", file: "Dockerfile", line: 4 });
    expect((await fetch(`http://${world.registry.host}/v2/add-fails-net/tags/list`)).status).toBe(404);
  });

  test("git sources and --keep-git-dir are refused by name", async () => {
    for (const [line, message] of [
      ["ADD https://github.com/moby/buildkit.git#v0.10.1 /src", /ADD of a git repository \(https:\/\/github.com\/moby\/buildkit.git#v0.10.1\) is not supported/],
      ["ADD git@github.com:moby/buildkit.git /src", /ADD of a git repository/],
      ["ADD --keep-git-dir=true https://example.com/x /src", /ADD --keep-git-dir is only for git sources/],
      ["ADD --checksum=sha256:abc https://example.com/x /src", /ADD --checksum=sha256:abc: expected sha256:<64 hex digits>/],
    ] as const) {
      const dir = await contextDir({ Dockerfile: `FROM ${world.base}\n${line}\n` });
      const res = await slipway(["plan", "--dir", dir, "--network", "default"], { env: world.env });
      expect(res.code, line).toBe(2);
      expect(res.stderr).toMatch(new RegExp(`Dockerfile:2: ${message.source}`));
    }
  });
});
