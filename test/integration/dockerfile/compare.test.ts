import { cp, link, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import type { BuildReport } from "../../../src/build/report.ts";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { slipwayJson, statuses } from "../../support/cli.ts";
import { accessLog, blobDownloads, mark } from "../../support/registry-log.ts";
import { client, layerDigests } from "../distributed/support.ts";
import { type BuildWorld, buildWorld, scratchDir, testEngine } from "../../support/services.ts";
import { buildkit, contextDir, fileTree, imageConfig } from "./support.ts";

let engine: PrivateEngine;
let registry: LocalRegistry;
let env: Record<string, string>;
let base: string;

let world: BuildWorld;
beforeAll(async () => {
  world = await buildWorld();
  ({ engine, registry, base, env } = world);
});

afterAll(() => world?.stop());

const APP_FILES = {
  "deps.txt": "dep 1\n",
  "bin/tool": ["#!/bin/sh\necho tool\n", 0o755] as [string, number],
  "src/a.txt": "a\n",
  "src/sub/b.txt": "bb\n",
  "src/sub/drop.tmp": "tmp\n",
  "src/keep.tmp": "kept\n",
  "conf/a.conf": "a=1\n",
  "conf/b.conf": "b=2\n",
  "secret.env": "TOKEN=x\n",
  ".dockerignore": "secret.env\nsrc/**/*.tmp\n!src/keep.tmp\n",
};

/** Builds `dir` with slipway and with BuildKit; both images' files and config must be equal. */
async function compare(dir: string, name: string, extra: string[] = []): Promise<void> {
  const report = await slipwayJson(["build", "--dir", dir, ...extra], { env });
  const ours = report.images[0].ref;
  const theirs = `buildkit/${name}:latest`;
  await buildkit(engine.socketPath, dir, theirs, extra);
  expect(await fileTree(engine.socketPath, ours)).toEqual(await fileTree(engine.socketPath, theirs));
  expect(await imageConfig(engine.socketPath, ours)).toEqual(await imageConfig(engine.socketPath, theirs));
}

/**
 * The same through the registry (`bp` on a fresh node: file stages made in the registry,
 * the parent's files known from layer indexes), pulled back into the engine.
 */
async function compareRegistry(dir: string, name: string, extra: string[] = []): Promise<{ report: BuildReport; downloads: { digest: string }[] }> {
  await using node = await testEngine();
  const nodeEnv = { DOCKER_HOST: `unix://${node.socketPath}`, SLIPWAY_HOME: await scratchDir("slipway-home-"), CI_COMMIT_REF_NAME: "main" };
  const repo = `${registry.host}/cmp-${name}`;
  const since = await mark(registry.logPath);
  const report = await slipwayJson(["bp", repo, "--tag-ci", "--dir", dir, ...extra], { env: nodeEnv });
  const downloads = blobDownloads(await accessLog(registry.logPath, since));
  await new DockerEngine({ socketPath: engine.socketPath }).pull(`${repo}:main`);
  const theirs = `buildkit/${name}:latest`;
  await buildkit(engine.socketPath, dir, theirs, extra);
  expect(await fileTree(engine.socketPath, `${repo}:main`)).toEqual(await fileTree(engine.socketPath, theirs));
  expect(await imageConfig(engine.socketPath, `${repo}:main`)).toEqual(await imageConfig(engine.socketPath, theirs));
  return { report, downloads };
}

/**
 * Directories that exist before a COPY/WORKDIR writes into them, with owners and modes
 * of their own (setgid included: what is made under it takes its group and bit).
 */
const OWNED_PARENTS = `ARG BASE
FROM \${BASE}
RUN mkdir -p /srv/owned/deep /opt/tight /home/app && chown -R 1000:1000 /srv/owned /home/app && chmod 0750 /srv/owned && chmod 2770 /srv/owned/deep && chmod 0700 /opt/tight
COPY a.txt /home/app/
COPY sub /srv/owned/deep/newdir/
COPY a.txt /opt/tight/a.txt
COPY a.txt /tmp/in-tmp/
COPY a.txt /root/
WORKDIR /srv/owned/deep/wd
COPY b.txt relative.txt
COPY --chown=1000:1000 a.txt /srv/owned/c/d.txt
COPY --chown=app sub /home/app/named/
COPY --chown=2000:2000 sub /srv/owned/deep/chowned/
USER app
WORKDIR /srv/owned/deep/as-app
WORKDIR /home/app/work
COPY --chmod=600 a.txt ./
`;

describe("Dockerfile builds equal BuildKit's", () => {
  test("one stage: ARG/ENV expansion, WORKDIR, COPY rules and .dockerignore, USER, every config instruction", async () => {
    const dir = await contextDir({
      ...APP_FILES,
      Dockerfile: `ARG BASE
FROM \${BASE} AS base
ARG GREETING=hello
ENV APP_HOME=/srv/app PATH=/opt/bin:$PATH
WORKDIR $APP_HOME
COPY deps.txt ./
RUN cat deps.txt > /installed.txt && echo "$GREETING" > greeting.txt
COPY --chmod=755 bin/ /opt/bin/
COPY src ./src
COPY --chown=1000:1000 conf/*.conf /etc/app/
USER app
WORKDIR /home/app/data
WORKDIR /srv/app
RUN id -un > /tmp/whoami
LABEL team=core "org.example.name"="demo \${GREETING}"
EXPOSE 8080 53/udp
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s CMD cat /srv/app/greeting.txt
STOPSIGNAL SIGTERM
ENTRYPOINT ["sh", "-c"]
CMD ["cat greeting.txt"]
`,
    });
    await compare(dir, "one", ["--build-arg", `BASE=${base}`, "--build-arg", "GREETING=hi there"]);
  });

  test("multi-stage: COPY --from a stage, an unused stage is never built, SHELL, shell-form CMD", async () => {
    const dir = await contextDir({
      ...APP_FILES,
      Dockerfile: `ARG BASE
FROM \${BASE} AS build
WORKDIR /work
COPY . .
RUN mkdir -p out/sub && cat src/a.txt src/sub/b.txt > out/app.txt && chmod 640 out/app.txt && echo x > out/sub/x
FROM \${BASE} AS unused
RUN exit 1
FROM \${BASE}
COPY --from=build /work/out/ /app/
COPY --from=build /work/src/a.txt /app/a-copy.txt
SHELL ["/bin/sh", "-ec"]
RUN ls /app > /app/list.txt
ENV MODE=prod
CMD cat /app/app.txt
`,
    });
    await compare(dir, "multi", ["--build-arg", `BASE=${base}`]);
  });

  test("FROM scratch with files from a stage and from an image (COPY --from=<image>), ENTRYPOINT keeps a CMD set before it", async () => {
    const dir = await contextDir({
      "hello.txt": "hello\n",
      Dockerfile: `ARG BASE
FROM \${BASE} AS build
RUN mkdir /out && echo built > /out/built.txt
FROM scratch
COPY --from=${base} /bin/busybox /bin/busybox
COPY --from=build /out /srv
COPY --chown=1000 hello.txt /srv/hello.txt
CMD ["cat", "/srv/built.txt"]
ENTRYPOINT ["/bin/busybox"]
`,
    });
    await compare(dir, "scratch", ["--build-arg", `BASE=${base}`]);
  });
});

test("corner cases: COPY of dirs and globs, --chown by name, WORKDIR as a user, ENV expansion, ONBUILD, .dockerignore ! and **", async () => {
  const dir = await contextDir({
    "a/one.txt": "1\n",
    "a/deep/two.txt": "22\n",
    "a/deep/skip.log": "log\n",
    "a/deep/keep.log": "keep\n",
    "b.txt": "b\n",
    "c1.cfg": "c1\n",
    "c2.cfg": "c2\n",
    "x/y/z.cfg": "z\n",
    "run.sh": ["#!/bin/sh\n", 0o750],
    ".dockerignore": "**/*.log\n!a/deep/keep.log\n*.tmp\n",
    "drop.tmp": "t\n",
    Dockerfile: `ARG BASE
ARG SUFFIX=sfx
FROM \${BASE}
ARG SUFFIX
ENV A=1 B="two words" C=\${A:-x}_\${UNSET:-dflt}_\${A:+set} D='$A' E=\\$A
ENV DIR=/opt/\${SUFFIX}
COPY a \${DIR}/
COPY a/ /copied-a
COPY b.txt c*.cfg /many/
COPY x /x-contents
COPY --chown=app:app b.txt /home/app/new/sub/b.txt
COPY --chown=app run.sh /bin/run-as-app
COPY --chmod=600 b.txt c1.cfg /modes/
COPY . /all/
WORKDIR relative/dir
USER app
WORKDIR /srv/work/deeper
ONBUILD RUN echo triggered
ONBUILD COPY . /onbuild
LABEL "multi word"="\${B}" expanded=$C raw='$A'
EXPOSE 80/tcp 9000-9002/udp
VOLUME /v1 /v2
USER 1000:1000
HEALTHCHECK NONE
STOPSIGNAL SIGQUIT
`,
  });
  await compare(dir, "corners", ["--build-arg", `BASE=${base}`]);
});

describe("files written into directories the parent already has", () => {
  test("COPY, WORKDIR and COPY --chown keep an existing parent's owner and mode (base image and RUN-made directories)", async () => {
    const dir = await contextDir({ "a.txt": "a\n", "b.txt": "b\n", "sub/x.txt": "x\n", Dockerfile: OWNED_PARENTS });
    await compare(dir, "owned", ["--build-arg", `BASE=${base}`]);
  });

  test("the same made in the registry by bp on a fresh node; an app change then downloads no layer", async () => {
    // Numeric owners: a name needs the parent's /etc/passwd, so the engine (which pulls the parent).
    const numeric = OWNED_PARENTS.replace("--chown=app ", "--chown=1000 ").replace("USER app", "USER 1000:1000");
    const dir = await contextDir({ "a.txt": "a\n", "b.txt": "b\n", "sub/x.txt": "x\n", Dockerfile: numeric });
    const { report } = await compareRegistry(dir, "owned", ["--build-arg", `BASE=${base}`]);
    expect(report.totals.containersRun).toBe(1);
    // The parents' attributes come from the layer indexes the stage manifests carry.
    await writeFile(join(dir, "a.txt"), "a 2\n");
    const again = await compareRegistry(dir, "owned", ["--build-arg", `BASE=${base}`]);
    expect(again.report.totals.containersRun).toBe(0);
    expect(statuses(again.report)).toMatchObject({ "RUN#2 mkdir -p /srv/owned/deep /opt/tight /hom...": "registry", "COPY#3 a.txt /home/app/": "appended" });
    const layers = await layerDigests(client(registry), ["cmp-owned", "base/busybox"]);
    expect(again.downloads.filter((d) => layers.has(d.digest))).toEqual([]);
  });
});

test("RUN --mount points as the engine's BuildKit leaves them: a directory target the run made stays, a file bind's empty file does not (bind, tmpfs, cache; nested, relative, existing)", async () => {
  const dir = await contextDir({
    "src/a.txt": "a\n",
    "one.txt": "1\n",
    Dockerfile: `ARG BASE
FROM \${BASE}
RUN mkdir -p /srv/owned && chown 1000:1000 /srv/owned && chmod 0750 /srv/owned
RUN --mount=type=bind,source=src,target=/mnt/bindnew --mount=type=tmpfs,target=/mnt/tmpfsnew --mount=type=cache,target=/var/cachenew true
RUN --mount=type=bind,source=src,target=/deep/er/bind --mount=type=tmpfs,target=/tmp --mount=type=cache,target=/srv/owned/cache,uid=1000 true
RUN --mount=type=bind,source=one.txt,target=/etc/one.txt --mount=type=bind,source=one.txt,target=/newdir/one.txt cat /etc/one.txt
WORKDIR /work
RUN --mount=type=tmpfs,target=rel/tmp --mount=type=cache,target=.cache echo made > /made.txt
`,
  });
  await compare(dir, "mounts", ["--build-arg", `BASE=${base}`]);
});

test("an audit: ENV quoting, ARG defaults in FROM, symlinks and hard links, dir vs dir/, --chmod on directories, USER forms and WORKDIR", async () => {
  const dir = await contextDir({
    "tree/a.txt": "a\n",
    "tree/sub/b.txt": "b\n",
    "tree/empty/.keep": "",
    "hard/one.txt": "same\n",
    "x.txt": "x\n",
  });
  await symlink("a.txt", join(dir, "tree/link-to-a"));
  await symlink("sub", join(dir, "tree/link-to-sub"));
  await symlink("tree/a.txt", join(dir, "toplink"));
  await symlink("/nowhere", join(dir, "tree/dangling"));
  await link(join(dir, "hard/one.txt"), join(dir, "hard/two.txt"));
  await mkdir(join(dir, "emptydir"));
  const repo = base.slice(0, base.lastIndexOf(":"));
  await writeFile(join(dir, "Dockerfile"), `ARG REPO=${repo}
ARG TAG=1
FROM \${REPO}:\${TAG}
ARG TAG
ENV TAG_SEEN=\${TAG}
ENV A="a b" B='c d' C=e\\ f D="quote \\" inside" E=\${A}-\${B}
ENV LEGACY value with   spaces
ENV EMPTY=""
COPY tree /t1
COPY tree/ /t2/
COPY tree/sub /t3
COPY toplink /t4/
COPY tree/link-to-sub /t5/
COPY hard /hard/
COPY --chmod=700 tree /t6/
COPY --chmod=640 x.txt tree/sub/ /t7/
COPY emptydir /t8
COPY emptydir /t9/
USER 1000
WORKDIR /w-uid
USER app
WORKDIR /w-name
USER 1234:5678
WORKDIR /w-both
USER app:root
WORKDIR /w-name-group
USER 4321
WORKDIR /w-unknown-uid
USER root
WORKDIR /w-root
`);
  await compare(dir, "audit");
});

test("an audit, continued: COPY --from of links, destinations under symlinked directories, ENV that reads itself, --chown forms, WORKDIR chains", async () => {
  const dir = await contextDir({ "a.txt": "a\n", "b.txt": "b\n" });
  await writeFile(join(dir, "Dockerfile"), `ARG BASE
FROM \${BASE} AS build
RUN mkdir -p /out/d && echo real > /out/real && ln -s real /out/link && ln /out/real /out/hard && ln -s d /out/dlink && echo in > /out/d/in.txt
FROM \${BASE}
RUN mkdir -p /srv/real && chown 1000:1000 /srv/real && chmod 0750 /srv/real && ln -s /srv/real /app && ln -s real /srv/rel
COPY --from=build /out/link /from-link/
COPY --from=build /out /from-dir/
COPY --from=build /out/dlink /from-dlink/
COPY a.txt /app/
COPY b.txt /srv/rel/sub/
COPY --chown=1000 a.txt /own/uid-only/
COPY --chown=app:app a.txt /own/names/
COPY --chown=:1000 a.txt /own/group-only/
ENV A=1 B=2
ENV A=first B=\${A}-seen C="\${B}"
WORKDIR rel
WORKDIR deeper/still
WORKDIR /app/wd
RUN pwd > /pwd.txt
`);
  await compare(dir, "audit2", ["--build-arg", `BASE=${base}`]);
});

/** Real public Dockerfiles adapted to build offline on busybox (test/fixtures/dockerfiles/*-busybox, SOURCE.md each). */
const FIXTURES = new URL("../../fixtures/dockerfiles/", import.meta.url).pathname;
const BUILDABLE = (await readdir(FIXTURES)).filter((n) => n.endsWith("-busybox")).sort();

describe("real public Dockerfiles equal BuildKit's", () => {
  test("Go, Node, Python and Java fixtures are there", () => {
    expect(["go-", "node-", "python-", "java-"].map((p) => BUILDABLE.some((n) => n.startsWith(p)))).toEqual([true, true, true, true]);
  });

  test.each(BUILDABLE)("%s", async (name) => {
    const dir = await scratchDir("slipway-dffixture-");
    await cp(`${FIXTURES}${name}`, dir, { recursive: true });
    await compare(dir, name, ["--build-arg", `BASE=${base}`]);
  });
});
