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
