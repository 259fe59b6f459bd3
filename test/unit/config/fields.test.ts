import { describe, expect, test } from "vitest";
import { image, META, parse } from "./support.ts";

describe("image documents", () => {
  test("meta, named images and artifacts, nameless image, dimg alias", () => {
    const c = parse(`${META}image: ~\nfrom: alpine\n---\nartifact: build\nfrom: golang\n`);
    expect(c.project).toBe("shop");
    expect(c.configVersion).toBe(1);
    expect(c.file).toBe("/projects/shop/werf.yaml");
    expect(c.dir).toBe("/projects/shop");
    expect(c.images.map((i) => [i.name, i.kind])).toEqual([["", "image"], ["build", "artifact"]]);
    expect(image(c, "").location).toEqual({ file: "werf.yaml", line: 4, column: 1 });
    const d = parse(`${META}dimg: web\nfrom: alpine\n`);
    expect(image(d, "web").kind).toBe("image");
  });

  test("a list of names expands into independent images", () => {
    const c = parse(`${META}image: [api, worker]\nfrom: alpine\nshell:\n  install: make\n`);
    expect(c.images.map((i) => i.name)).toEqual(["api", "worker"]);
    image(c, "api").shell.install.push("changed");
    expect(image(c, "worker").shell.install).toEqual(["make"]);
  });

  test("from, fromCacheVersion (scalar kept as written), fromImage, fromDimg, fromArtifact", () => {
    const c = parse(`${META}image: a\nfrom: alpine:3.18\nfromCacheVersion: 1.10\n---\nimage: b\nfromImage: a\n---\n` +
      `image: c\nfromDimg: b\n---\nartifact: x\nfrom: alpine\n---\nimage: d\nfromArtifact: x\n`);
    expect(image(c, "a")).toMatchObject({ from: "alpine:3.18", fromCacheVersion: "1.10" });
    expect(image(c, "b").fromImage).toBe("a");
    expect(image(c, "c").fromImage).toBe("b");
    expect(image(c, "d").fromArtifact).toBe("x");
  });

  test("final: false makes an intermediate image (artifact kind)", () => {
    const c = parse(`${META}image: builder\nfrom: golang\nfinal: false\n`);
    expect(image(c, "builder").kind).toBe("artifact");
  });

  test("network defaults to false", () => {
    const c = parse(`${META}image: a\nfrom: x\n---\nimage: b\nfrom: x\nnetwork: true\n`);
    expect([image(c, "a").network, image(c, "b").network]).toEqual([false, true]);
  });

  test("cleanup is kept raw; deploy is accepted", () => {
    const c = parse(`project: p\nconfigVersion: 1\ndeploy:\n  namespace: x\ncleanup:\n  keepPolicies: [{references: {tag: /.*/}}]\n---\nimage: a\nfrom: x\n`);
    expect(c.cleanup).toEqual({ keepPolicies: [{ references: { tag: "/.*/" } }] });
  });

  test("dappfile.yml has no meta document: project is the directory name", () => {
    const c = parse("dimg: app\nfrom: alpine\n", { file: "dappfile.yml" });
    expect(c.project).toBe("shop");
  });
});

describe("git", () => {
  test("defaults and normalisation", () => {
    const c = parse(`${META}image: a\nfrom: x\ngit:\n- to: /app/\n- add: src/\n  to: /srv\n`);
    const [root, src] = image(c, "a").git;
    expect(root).toEqual({ add: "/", to: "/app", includePaths: [], excludePaths: [], stageDependencies: {},
      location: { file: "werf.yaml", line: 7, column: 3 } });
    expect(src.add).toBe("/src");
  });

  test("all keys, string-or-list paths, stageDependencies for every user stage", () => {
    const c = parse(`${META}image: a\nfrom: x\ngit:\n- add: /\n  to: /app\n  owner: app\n  group: app\n` +
      `  includePaths: src\n  excludePaths: ["*.md", docs]\n  stageDependencies:\n    beforeInstall: Gemfile\n` +
      `    install: [package.json, yarn.lock]\n    beforeSetup: ["**/*.sql"]\n    setup: "**/*"\n`);
    expect(image(c, "a").git[0]).toMatchObject({
      owner: "app", group: "app", includePaths: ["src"], excludePaths: ["*.md", "docs"],
      stageDependencies: { beforeInstall: ["Gemfile"], install: ["package.json", "yarn.lock"], beforeSetup: ["**/*.sql"], setup: ["**/*"] },
    });
  });
});

describe("shell", () => {
  test("string or list, cache versions, commands kept as written", () => {
    const c = parse(`${META}image: a\nfrom: x\nshell:\n  beforeInstall: apt-get  update\n  install:\n  - npm ci\n  - >\n    make\n    all\n` +
      `  beforeSetup: []\n  setup:\n  cacheVersion: 2\n  beforeInstallCacheVersion: a\n  installCacheVersion: b\n  beforeSetupCacheVersion: c\n  setupCacheVersion: d\n`);
    expect(image(c, "a").shell).toEqual({
      beforeInstall: ["apt-get  update"], install: ["npm ci", "make all\n"], beforeSetup: [], setup: [],
      cacheVersion: "2", stageCacheVersions: { beforeInstall: "a", install: "b", beforeSetup: "c", setup: "d" },
    });
  });
});
