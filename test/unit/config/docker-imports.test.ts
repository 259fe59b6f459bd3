import { describe, expect, test } from "vitest";
import { image, META, parse } from "./support.ts";

const withDocker = (docker: string) => image(parse(`${META}image: a\nfrom: x\ndocker:\n${docker}`), "a").docker;

describe("docker", () => {
  test("defaults", () => {
    expect(image(parse(`${META}image: a\nfrom: x\n`), "a").docker).toEqual({ volume: [], env: {}, label: {}, expose: [] });
  });

  test("USER, WORKDIR, VOLUME, ENV, LABEL, EXPOSE", () => {
    expect(withDocker(`  USER: app\n  WORKDIR: /app\n  VOLUME: /data\n  ENV:\n    B: 1\n    A: "x y"\n    EMPTY:\n` +
      `  LABEL: {team: core}\n  EXPOSE: ["80", 53/udp, 9000-9001]\n`)).toEqual({
      user: "app", workdir: "/app", volume: ["/data"], env: { B: "1", A: "x y", EMPTY: "" }, label: { team: "core" },
      expose: ["80/tcp", "53/udp", "9000-9001/tcp"],
    });
    expect(Object.keys(withDocker("  ENV: {Z: 1, A: 2}\n").env)).toEqual(["Z", "A"]);
    expect(withDocker("  EXPOSE: 8080\n").expose).toEqual(["8080/tcp"]);
  });

  test("ENTRYPOINT and CMD: string is shell form, list is exec form", () => {
    expect(withDocker(`  ENTRYPOINT: node  server.js\n  CMD: [--port, "8080"]\n`)).toMatchObject({
      entrypoint: ["/bin/sh", "-c", "node  server.js"], cmd: ["--port", "8080"],
    });
  });

  test("HEALTHCHECK as a Dockerfile string", () => {
    expect(withDocker(`  HEALTHCHECK: --interval=5s --timeout=2s --start-period=1s --retries=4 CMD curl -f http://localhost/ || exit 1\n`).healthcheck)
      .toEqual({ interval: "5s", timeout: "2s", startPeriod: "1s", retries: 4, test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"] });
    expect(withDocker(`  HEALTHCHECK: 'HEALTHCHECK CMD ["/bin/check", "-q"]'\n`).healthcheck).toEqual({ test: ["CMD", "/bin/check", "-q"] });
    expect(withDocker(`  HEALTHCHECK: NONE\n`).healthcheck).toEqual({ test: ["NONE"] });
  });

  test("HEALTHCHECK as a map", () => {
    expect(withDocker(`  HEALTHCHECK:\n    test: curl -f localhost\n    interval: 10s\n    retries: 2\n`).healthcheck)
      .toEqual({ test: ["CMD-SHELL", "curl -f localhost"], interval: "10s", retries: 2 });
    expect(withDocker(`  HEALTHCHECK:\n    test: [/bin/check, -q]\n`).healthcheck).toEqual({ test: ["CMD", "/bin/check", "-q"] });
  });
});

describe("import", () => {
  const config = parse(`${META}image: a\nfrom: x\nimport:\n- artifact: build\n  add: /out/\n  before: install\n` +
    `- image: tools\n  add: /usr/bin/jq\n  to: /bin/jq\n  after: install\n  owner: app\n  group: app\n  includePaths: [jq]\n  excludePaths: x\n  stage: install\n` +
    `- artifact: build\n  add: /a\n  before: setup\n- artifact: build\n  add: /b\n` +
    `---\nartifact: build\nfrom: x\n---\nimage: tools\nfrom: x\n`);
  const imports = image(config, "a").imports;

  test("hooks: before/after install/setup; default after setup", () => {
    expect(imports.map((i) => i.stage)).toEqual(["beforeInstall", "afterInstall", "beforeSetup", "afterSetup"]);
  });

  test("to defaults to add; every key", () => {
    expect(imports[0]).toEqual({ from: "build", fromKind: "artifact", add: "/out", to: "/out", includePaths: [], excludePaths: [],
      stage: "beforeInstall", location: { file: "werf.yaml", line: 7, column: 3 } });
    expect(imports[1]).toMatchObject({ from: "tools", fromKind: "image", add: "/usr/bin/jq", to: "/bin/jq", owner: "app", group: "app",
      includePaths: ["jq"], excludePaths: ["x"], sourceStage: "install" });
  });

  test("the import kind follows the target, whatever key named it", () => {
    const c = parse(`${META}image: a\nfrom: x\nimport:\n- image: b\n  add: /x\n---\nartifact: b\nfrom: x\n`);
    expect(image(c, "a").imports[0].fromKind).toBe("artifact");
  });
});

describe("mount", () => {
  test("tmp_dir, build_dir and fromPath", () => {
    const c = parse(`${META}image: a\nfrom: x\nmount:\n- from: tmp_dir\n  to: /var/lib/apt/lists\n- from: build_dir\n  to: /root/.cache/\n- fromPath: ~/go-pkg\n  to: /go/pkg\n`);
    expect(image(c, "a").mounts).toEqual([
      { to: "/var/lib/apt/lists", from: "tmp_dir", location: { file: "werf.yaml", line: 7, column: 3 } },
      { to: "/root/.cache", from: "build_dir", location: { file: "werf.yaml", line: 9, column: 3 } },
      { to: "/go/pkg", from: "path", fromPath: "~/go-pkg", location: { file: "werf.yaml", line: 11, column: 3 } },
    ]);
  });
});
