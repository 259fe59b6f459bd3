import { describe, expect, test } from "vitest";
import { configError, META } from "./support.ts";

/** file, line, column, field of the error: what every config error must carry. */
function where(body: string, opts?: { file?: string }) {
  const e = configError(body, opts);
  return { file: e.file, line: e.line, column: e.column, field: e.field, detail: e.detail };
}

describe("config errors name file, line, column and field", () => {
  test("broken YAML", () => {
    const e = where(`${META}image: a\nfrom: x\nshell:\n  install: [npm ci\n  setup: x\n`);
    expect(e).toMatchObject({ file: "werf.yaml", line: 8 });
    expect(e.detail).toMatch(/^YAML syntax error: /);
    expect(configError(`${META}image: a\nfrom: x\nfrom: y\n`).message).toMatch(/^werf\.yaml:6:1: YAML syntax error: Map keys must be unique/);
  });

  test("unknown key with a suggestion", () => {
    const e = configError(`${META}image: a\nfrom: x\nshell:\n  instal:\n  - npm ci\n`);
    expect(e.message).toBe('werf.yaml:7:3: shell.instal: unknown key; did you mean "install"?');
    expect(where(`${META}image: a\nfrom: x\ngit:\n- to: /app\n  stageDependecies: {}\n`))
      .toMatchObject({ line: 8, column: 3, field: "git[0].stageDependecies", detail: 'unknown key; did you mean "stageDependencies"?' });
    expect(where(`${META}image: a\nfrom: x\nfromm: y\n`)).toMatchObject({ line: 6, column: 1, field: "fromm" });
    expect(where(`${META}image: a\nfrom: x\ndocker:\n  ENTRY_POINT: x\n`).detail).toBe('unknown key; did you mean "ENTRYPOINT"?');
  });

  test("unknown key far from any known key lists the known keys", () => {
    expect(where(`${META}image: a\nfrom: x\nmount:\n- to: /x\n  from: tmp_dir\n  zzzzzzzz: 1\n`).detail).toBe("unknown key (known keys: to, from, fromPath)");
  });

  test("wrong type", () => {
    expect(configError(`${META}image: a\nfrom: x\nshell:\n  install:\n    npm: ci\n`).message)
      .toBe("werf.yaml:8:5: shell.install: expected a string or a list of strings, got a map");
    expect(where(`${META}image: a\nfrom: x\ngit:\n  add: /\n`)).toMatchObject({ line: 7, column: 3, field: "git", detail: "expected a list of git mappings, got a map" });
    expect(where(`${META}image: a\nfrom: x\nnetwork: yes please\n`)).toMatchObject({ line: 6, column: 10, field: "network", detail: 'expected true or false, got string "yes please"' });
    expect(where(`${META}image: a\nfrom: x\nmount:\n- from: tmpdir\n  to: /x\n`)).toMatchObject({ line: 7, column: 9, field: "mount[0].from", detail: 'expected tmp_dir or build_dir, got string "tmpdir"' });
    expect(where(`${META}image: a\nfrom: x\ndocker:\n  ENV: [A=1]\n`)).toMatchObject({ line: 7, column: 8, field: "docker.ENV" });
  });

  test("a bad item inside a string-or-list value is located at the item", () => {
    expect(where(`${META}image: a\nfrom: x\ngit:\n- to: /app\n  stageDependencies:\n    install:\n    - ok\n    - {a: 1}\n`))
      .toMatchObject({ line: 11, column: 7, field: "git[0].stageDependencies.install[1]", detail: "expected a string, got a map" });
    expect(where(`${META}image: a\nfrom: x\ndocker:\n  HEALTHCHECK:\n    interval: 3s\n`))
      .toMatchObject({ line: 8, column: 5, field: "docker.HEALTHCHECK.test", detail: "required" });
  });

  test("YAML alias problems", () => {
    expect(where(`${META}image: a\nfrom: x\nshell: &s {}\n---\nimage: b\nfrom: x\nshell: *s\n`))
      .toMatchObject({ line: 8, column: 1, detail: expect.stringMatching(/^YAML error: Unresolved alias/) });
  });

  test("missing from", () => {
    expect(configError(`${META}image: a\nshell:\n  install: x\n`).message).toBe("werf.yaml:4:1: from: one of from, fromImage or fromArtifact is required");
    expect(where(`${META}image: a\nfrom: x\nfromImage: b\n---\nimage: b\nfrom: y\n`)).toMatchObject({ line: 6, column: 12, field: "fromImage" });
  });

  test("missing required fields inside lists", () => {
    expect(where(`${META}image: a\nfrom: x\ngit:\n- add: /src\n`)).toMatchObject({ line: 7, column: 3, field: "git[0].to", detail: "required" });
    expect(where(`${META}image: a\nfrom: x\ngit:\n- to: app\n`)).toMatchObject({ line: 7, column: 7, field: "git[0].to", detail: 'must be an absolute path, got "app"' });
    expect(where(`${META}image: a\nfrom: x\nimport:\n- add: /x\n`)).toMatchObject({ line: 7, field: "import[0]", detail: "one of image, from or artifact is required" });
    expect(where(`${META}image: a\nfrom: x\nmount:\n- to: /x\n`)).toMatchObject({ line: 7, field: "mount[0]" });
  });

  test("unknown fromImage, with a suggestion", () => {
    expect(configError(`${META}image: base\nfrom: x\n---\nimage: app\nfromImage: bsae\n`).message)
      .toBe('werf.yaml:8:12: fromImage: no image or artifact named "bsae"; did you mean "base"?');
    expect(where(`${META}image: a\nfrom: x\nimport:\n- artifact: nope\n  add: /x\n`))
      .toMatchObject({ line: 7, column: 13, field: "import[0].artifact", detail: 'no image or artifact named "nope"' });
  });

  test("cycle between images", () => {
    const e = configError(`${META}image: a\nfromImage: c\n---\nimage: b\nfromImage: a\n---\nimage: c\nfrom: x\nimport:\n- image: b\n  add: /x\n`);
    expect(e.message).toBe("werf.yaml:5:12: fromImage: images depend on each other in a cycle: a -> c -> b -> a");
    expect(where(`${META}image: a\nfrom: x\nimport:\n- image: a\n  add: /x\n`)).toMatchObject({ line: 7, column: 10, field: "import[0].image" });
  });

  test("unsupported ansible modules and Dockerfile image keys are refused by name; git branch needs url", () => {
    expect(configError(`${META}image: a\nfrom: x\nansible:\n  install:\n  - name: sync\n    synchronize: { src: a }\n`).message)
      .toBe(`werf.yaml:9:18: ansible.install[0].synchronize: task "sync": unsupported ansible module synchronize (werf's stapel module list, see docs/config.md)`);
    expect(where(`${META}image: a\ndockerfile: Dockerfile\nssh: default\n`)).toMatchObject({ line: 6, field: "ssh" });
    expect(where(`${META}image: a\ndockerfile: Dockerfile\nfrom: x\n`)).toMatchObject({ line: 6, field: "from", detail: expect.stringMatching(/cannot be used with dockerfile/) });
    expect(where(`${META}image: a\ndockerfile: Dockerfile\nnetwork: host\n`)).toMatchObject({ line: 6, field: "network" });
    expect(where(`${META}image: a\nfrom: x\nplatform: [linux/arm64]\n`)).toMatchObject({ line: 6, field: "platform" });
    expect(where(`${META}image: a\nfrom: x\ngit:\n- branch: main\n  to: /y\n`))
      .toMatchObject({ line: 7, column: 11, field: "git[0].branch", detail: expect.stringMatching(/only for a remote repository/) });
  });

  test("artifacts may not have docker instructions; artifacts need a name", () => {
    expect(where(`${META}artifact: a\nfrom: x\ndocker:\n  CMD: x\n`)).toMatchObject({ line: 7, field: "docker" });
    expect(where(`${META}artifact:\nfrom: x\n`)).toMatchObject({ line: 4, field: "artifact", detail: "an artifact needs a name" });
  });

  test("duplicate names, documents that are no image, misplaced meta, other config versions", () => {
    expect(where(`${META}image: a\nfrom: x\n---\nimage: a\nfrom: y\n`)).toMatchObject({ line: 7, detail: '"a" is defined twice (first at line 4)' });
    expect(where(`${META}from: x\n`)).toMatchObject({ line: 4, column: 1 });
    expect(where(`${META}image: a\nfrom: x\n---\nproject: again\n`)).toMatchObject({ line: 7, field: "project" });
    expect(where(`project: p\nconfigVersion: 2\n---\nimage: a\nfrom: x\n`)).toMatchObject({ line: 2, column: 16, field: "configVersion" });
    expect(where(`image: a\nfrom: x\n`)).toMatchObject({ line: 1, field: "project" });
  });

  test("bad HEALTHCHECK strings and ports", () => {
    expect(where(`${META}image: a\nfrom: x\ndocker:\n  HEALTHCHECK: --every=5s CMD true\n`))
      .toMatchObject({ line: 7, column: 16, field: "docker.HEALTHCHECK", detail: expect.stringMatching(/--every/) });
    expect(where(`${META}image: a\nfrom: x\ndocker:\n  EXPOSE: http\n`)).toMatchObject({ line: 7, field: "docker.EXPOSE" });
  });
});
