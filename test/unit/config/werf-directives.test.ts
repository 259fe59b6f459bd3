import { describe, expect, test } from "vitest";
import { configError, image, META, parse } from "./support.ts";

describe("gitVisibility", () => {
  test("werf.yaml and dappfile.yml default to werf's view, slipway.yaml to the strict one", () => {
    expect(image(parse(`${META}image: a\nfrom: alpine\n`), "a").gitVisibility).toBe("werf");
    expect(image(parse(`image: a\nfrom: alpine\n`, { file: "dappfile.yml" }), "a").gitVisibility).toBe("werf");
    expect(image(parse(`image: a\nfrom: alpine\n`, { file: "slipway.yaml" }), "a").gitVisibility).toBe("strict");
    expect(image(parse(`image: a\nfrom: alpine\n`, { file: "ci/slipway.yml" }), "a").gitVisibility).toBe("strict");
  });

  test("either view can be chosen per image; anything else is refused with its position", () => {
    expect(image(parse(`${META}image: a\nfrom: alpine\ngitVisibility: strict\n`), "a").gitVisibility).toBe("strict");
    expect(image(parse(`image: a\nfrom: alpine\ngitVisibility: werf\n`, { file: "slipway.yaml" }), "a").gitVisibility).toBe("werf");
    const err = configError(`${META}image: a\nfrom: alpine\ngitVisibility: all\n`);
    expect([err.line, err.field]).toEqual([6, "gitVisibility"]);
    expect(err.message).toContain("expected werf or strict");
  });
});

describe("imageSpec", () => {
  test("is read with werf's keys; unknown ones are refused", () => {
    const c = parse(`${META}image: a\nfrom: alpine\nimageSpec:\n  author: Ops <ops@example.com>\n  clearHistory: true\n  config:\n` +
      `    labels: {team: core, "%project%/image": "%image%"}\n    removeLabels: [maintainer, "/^org\\\\.opencontainers\\\\..*/"]\n` +
      `    env: {MODE: prod}\n    removeEnv: [DEBUG]\n    expose: ["8080", 53/udp]\n    volumes: [/data]\n    user: app\n` +
      `    workingDir: /app\n    entrypoint: [/bin/app]\n    stopSignal: SIGTERM\n    healthcheck: {test: [CMD, /bin/check], interval: 5, retries: 3}\n`);
    expect(image(c, "a").imageSpec).toEqual({
      author: "Ops <ops@example.com>", clearHistory: true, clear: { cmd: false, entrypoint: false, user: false, workingDir: false },
      removeLabels: ["maintainer", "/^org\\.opencontainers\\..*/"], removeVolumes: [], removeEnv: ["DEBUG"], volumes: ["/data"],
      labels: { team: "core", "%project%/image": "%image%" }, env: { MODE: "prod" }, expose: ["8080", "53/udp"], user: "app",
      workingDir: "/app", entrypoint: ["/bin/app"], stopSignal: "SIGTERM", healthcheck: { test: ["CMD", "/bin/check"], interval: 5, retries: 3 },
    });
    const err = configError(`${META}image: a\nfrom: alpine\nimageSpec:\n  config:\n    lables: {a: b}\n`);
    expect([err.line, err.field]).toEqual([8, "imageSpec.config.lables"]);
    expect(err.message).toContain('did you mean "labels"');
  });
});

describe("import from an external image", () => {
  test("a source with a tag or a digest is external (werf's rule), under image: or from:", () => {
    const c = parse(`${META}image: a\nfrom: alpine\nimport:\n- image: alpine:3.18\n  add: /etc/alpine-release\n  after: install\n` +
      `- from: registry.example.com:5000/tools/kit@sha256:${"b".repeat(64)}\n  add: /opt\n  to: /kit\n` +
      `- from: b\n  add: /out\n---\nimage: b\nfrom: alpine\n`);
    expect(image(c, "a").imports.map((i) => [i.fromKind, i.from])).toEqual([
      ["external", "alpine:3.18"], ["external", `registry.example.com:5000/tools/kit@sha256:${"b".repeat(64)}`], ["image", "b"],
    ]);
  });

  test("a name without tag is an image of this config; stage: cannot name a stage of an external image", () => {
    const missing = configError(`${META}image: a\nfrom: alpine\nimport:\n- from: registry.example.com:5000/kit\n  add: /opt\n`);
    expect(missing.message).toContain('no image or artifact named "registry.example.com:5000/kit"');
    const stage = configError(`${META}image: a\nfrom: alpine\nimport:\n- image: alpine:3.18\n  add: /opt\n  stage: install\n`);
    expect([stage.line, stage.field]).toEqual([9, "import[0].stage"]);
    const both = configError(`${META}image: a\nfrom: alpine\nimport:\n- image: x\n  from: alpine:3.18\n  add: /opt\n`);
    expect(both.message).toContain("give one of image, from or artifact");
  });
});

describe("fromLatest", () => {
  test("is accepted either way: from is always pinned by its current registry digest", () => {
    expect(image(parse(`${META}image: a\nfrom: alpine\nfromLatest: true\n`), "a").from).toBe("alpine");
    expect(configError(`${META}image: a\nfrom: alpine\nfromLatest: yes please\n`).message).toContain("expected true or false");
  });
});

describe("git url", () => {
  test("a remote mapping keeps its URL and revision", () => {
    const c = parse(`${META}image: a\nfrom: alpine\ngit:\n- url: https://github.com/werf/werf.git\n  tag: v2.0.0\n  add: /docs\n  to: /docs\n- add: /\n  to: /app\n`);
    expect(image(c, "a").git.map((g) => [g.url, g.tag, g.add])).toEqual([["https://github.com/werf/werf.git", "v2.0.0", "/docs"], [undefined, undefined, "/"]]);
  });
});

describe("werf v2 meta build: and werf 1.1 acknowledgements", () => {
  test("build.platform linux/amd64 is accepted; other platforms and a project-wide imageSpec are refused at their line", () => {
    expect(parse(`project: shop\nconfigVersion: 1\nbuild:\n  platform: ['linux/amd64']\n---\nimage: a\nfrom: alpine\n`).project).toBe("shop");
    const arm = configError(`project: shop\nconfigVersion: 1\nbuild:\n  platform: ['linux/arm64']\n---\nimage: a\nfrom: alpine\n`);
    expect([arm.line, arm.field]).toEqual([4, "build.platform"]);
    expect(arm.message).toContain("linux/amd64 only");
    const spec = configError(`project: shop\nconfigVersion: 1\nbuild:\n  imageSpec:\n    author: x\n---\nimage: a\nfrom: alpine\n`);
    expect(spec.field).toBe("build.imageSpec");
    expect(spec.message).toContain("give imageSpec: in each image");
  });

  test("herebyIAdmitThat... keys are accepted", () => {
    const c = parse(`${META}image: a\nfrom: alpine\nfromLatest: true\nherebyIAdmitThatFromLatestMightBreakReproducibility: true\n` +
      `git:\n- url: https://example.com/x.git\n  branch: main\n  herebyIAdmitThatBranchMightBreakReproducibility: true\n  to: /x\n`);
    expect(image(c, "a").git[0].branch).toBe("main");
  });
});

describe("dependencies", () => {
  const doc = (deps: string) => `${META}image: app\nfrom: alpine\ndependencies:\n${deps}---\nimage: backend\nfrom: alpine\n`;

  test("image or from, a hook, targetEnv imports; the dependency is built first", () => {
    const c = parse(doc(`- image: backend\n  before: setup\n  imports:\n  - type: ImageName\n    targetEnv: BACKEND\n  - type: ImageTag\n    targetEnv: BACKEND_TAG\n` +
      `- from: backend\n  after: install\n  imports:\n  - type: ImageRepo\n    targetEnv: BACKEND_REPO\n`));
    expect(image(c, "app").dependencies.map((d) => [d.image, d.stage, d.env])).toEqual([
      ["backend", "beforeSetup", [{ name: "BACKEND", type: "ImageName" }, { name: "BACKEND_TAG", type: "ImageTag" }]],
      ["backend", "afterInstall", [{ name: "BACKEND_REPO", type: "ImageRepo" }]],
    ]);
    expect(c.images.map((i) => i.name)).toEqual(["app", "backend"]);
  });

  test("werf's rules and what slipway does not give, each at its line", () => {
    const cases: [string, number, string][] = [
      [`- image: backend\n  imports: []\n`, 7, "dependency stage is not specified"],
      [`- image: nope\n  before: install\n`, 7, 'no image or artifact named "nope"'],
      [`- image: backend\n  after: setup\n`, 8, "no command runs after setup"],
      [`- image: backend\n  before: install\n  imports:\n  - type: ImageID\n    targetEnv: X\n`, 10, "ImageID is not supported"],
      [`- image: backend\n  before: install\n  imports:\n  - type: ImageName\n    targetBuildArg: X\n`, 11, "targetBuildArg is for Dockerfile images"],
      [`- image: backend\n  before: install\n  imports:\n  - type: ImageName\n    targetEnv: X\n  - type: ImageTag\n    targetEnv: X\n`, 13, "targetEnv X is given twice"],
    ];
    for (const [deps, line, text] of cases) {
      const err = configError(doc(deps));
      expect([err.line, err.message]).toEqual([line, expect.stringContaining(text)]);
    }
  });
});
