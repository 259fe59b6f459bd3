import { describe, expect, test } from "vitest";
import { applyInstruction } from "../../../src/dockerfile/config.ts";
import { parseDockerfile } from "../../../src/dockerfile/parse.ts";
import { resolveDockerfile, type ResolveOptions } from "../../../src/dockerfile/resolve.ts";
import type { RuntimeConfig } from "../../../src/engine/types.ts";
import { ConfigError } from "../../../src/errors.ts";

function steps(text: string, opts: Partial<ResolveOptions> = {}) {
  return resolveDockerfile(parseDockerfile(text, "Dockerfile"), { buildArgs: {}, network: false, ...opts });
}

/** Applies every config step of the target to `base`, as the stages would. */
function config(text: string, base: RuntimeConfig = { Env: ["PATH=/bin"] }, opts: Partial<ResolveOptions> = {}): RuntimeConfig {
  let c = base;
  for (const s of steps(text, opts).steps) {
    if (s.op.op === "config") c = applyInstruction(c, s.ins, s.op.args, "Dockerfile", "\\", s.op.cmdSet);
  }
  return c;
}

function refused(text: string): ConfigError {
  try {
    steps(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("FROM and build stages", () => {
  test("global ARGs expand FROM; only the stages the target needs are resolved, dependencies first", () => {
    const r = steps("ARG V=1\nFROM img:${V} AS a\nRUN a\nFROM other AS unused\nRUN u\nFROM img:2\nCOPY --from=a /x /y\n");
    expect(r.steps.map((s) => s.label)).toEqual(["FROM#1 img:${V} AS a", "RUN#2 a", "FROM#5 img:2", "COPY#6 --from=a /x /y"]);
    expect(r.baseImages.sort()).toEqual(["img:1", "img:2"]);
    expect(steps("FROM a AS one\nFROM b AS two\n", { target: "one" }).steps.map((s) => s.label)).toEqual(["FROM#1 a AS one"]);
  });

  test("FROM <stage> builds on that stage; COPY --from=<image> makes the image a stage of its own", () => {
    const r = steps("FROM base AS a\nFROM a\nCOPY --from=tools:1 /bin/t /bin/t\n");
    expect(r.steps.map((s) => s.op.op)).toEqual(["from-image", "from-image", "from-stage", "copy"]);
    expect(r.baseImages.sort()).toEqual(["base", "tools:1"]);
  });

  test("--platform is refused unless it is the engine's; a --build-arg overrides a default", () => {
    expect(steps("FROM --platform=linux/amd64 a\n").steps).toHaveLength(1);
    expect(steps("ARG P=linux/amd64\nFROM --platform=$P a\n").steps).toHaveLength(1);
    expect(refused("FROM --platform=linux/arm64 a\n").line).toBe(1);
    expect(steps("ARG V=1\nFROM img:$V\n", { buildArgs: { V: "2" } }).baseImages).toEqual(["img:2"]);
  });

  test("an unknown target, a duplicate stage name, and no FROM are refused", () => {
    expect(() => steps("FROM a AS x\n", { target: "y" })).toThrow(/target stage "y"/);
    expect(refused("FROM a AS x\nFROM b AS x\n").line).toBe(2);
    expect(refused("ARG A\n").detail).toMatch(/no FROM/);
  });
});

describe("ARG scoping", () => {
  test("a global ARG is visible in a stage only when redeclared; stage ARGs do not leak into the next stage", () => {
    const r = steps("ARG G=g\nFROM a AS one\nRUN one\nARG G\nARG L=l\nRUN two\nFROM one\nRUN three\n");
    const runs = r.steps.filter((s) => s.op.op === "run").map((s) => (s.op.op === "run" ? Object.fromEntries(s.op.env) : {}));
    expect(runs).toEqual([{}, { G: "g", L: "l" }, {}]);
  });

  test("platform args are available once declared; ENV wins over an ARG of the same name in RUN's env", () => {
    const r = steps("FROM a\nARG TARGETARCH\nARG X=arg\nENV X=env\nRUN go\n");
    const run = r.steps.find((s) => s.op.op === "run");
    expect(run?.op.op === "run" && Object.fromEntries(run.op.env)).toEqual({ TARGETARCH: "amd64" });
  });

  test("an ARG default expands earlier ARGs and ENVs", () => {
    const r = steps("FROM a\nENV BASE=/opt\nARG DIR=$BASE/app\nCOPY x $DIR/\n");
    const copy = r.steps.find((s) => s.op.op === "copy");
    expect(copy?.op.op === "copy" && copy.op.dest).toBe("/opt/app/");
  });
});

describe("RUN", () => {
  test("shell form runs through SHELL, exec form as written", () => {
    const r = steps('FROM a\nRUN echo "$HOME" \\\n  done\nSHELL ["/bin/bash", "-ec"]\nRUN echo hi\nRUN ["ls", "-l"]\n');
    const argv = r.steps.flatMap((s) => (s.op.op === "run" ? [s.op.argv] : []));
    expect(argv).toEqual([["/bin/sh", "-c", 'echo "$HOME"   done'], ["/bin/bash", "-ec", "echo hi"], ["ls", "-l"]]);
  });

  test("--network picks the network; unsupported flags and mounts are refused by name", () => {
    const r = steps("FROM a\nRUN --network=default true\nRUN --network=none true\nRUN true\n", { network: false });
    expect(r.steps.flatMap((s) => (s.op.op === "run" ? [s.op.network] : []))).toEqual([true, false, false]);
    expect(refused("FROM a\nRUN --network=host true\n").detail).toMatch(/--network=host is not supported/);
    expect(refused("FROM a\nRUN --mount=type=secret,id=x,sharing=shared true\n").detail).toBe("RUN --mount=type=secret: sharing is not supported");
    expect(refused("FROM a\nRUN --security=insecure true\n").detail).toMatch(/RUN --security is not supported/);
  });
});

describe("COPY and ADD", () => {
  test("sources and destination expand ARG and ENV; flags are kept", () => {
    const r = steps("FROM a\nARG SRC=app\nENV DEST=/srv\nCOPY --chown=${U:-1000}:1000 --chmod=640 --link $SRC/ ${DEST}/\n");
    const copy = r.steps.find((s) => s.op.op === "copy");
    expect(copy?.op).toEqual({ op: "copy", sources: ["app/"], dest: "/srv/", chown: "1000:1000", chmod: 0o640 });
  });

  test("the JSON form is accepted; ADD of a URL and symbolic --chmod are refused", () => {
    const r = steps('FROM a\nCOPY ["a b.txt", "/dst/"]\n');
    expect(r.steps[1].op).toMatchObject({ sources: ["a b.txt"], dest: "/dst/" });
    expect(refused("FROM a\nADD https://example.com/x.tgz /x\n").detail).toMatch(/ADD of a URL/);
    expect(refused("FROM a\nCOPY --chmod=u+x a /a\n").detail).toMatch(/only octal/);
    expect(refused("FROM a\nCOPY a\n").detail).toMatch(/at least one source and a destination/);
    expect(refused("FROM a AS x\nCOPY --from=x /a /b\n").detail).toMatch(/earlier stage/);
    expect(refused("FROM a AS x\nFROM b\nCOPY --from=x /a/* /b/\n").detail).toMatch(/wildcards/);
  });
});

describe("config instructions", () => {
  test("ENV extends the base image's variables, keeps a variable's place and sees earlier pairs", () => {
    const c = config("FROM a\nENV PATH=/opt/bin:$PATH A=1\nENV B=${A}2 PATH=$PATH:/z\nENV LEGACY value with spaces\n");
    expect(c.Env).toEqual(["PATH=/opt/bin:/bin:/z", "A=1", "B=12", "LEGACY=value with spaces"]);
  });

  test("WORKDIR is relative to the previous one and expands ENV", () => {
    expect(config("FROM a\nENV D=/srv\nWORKDIR $D\nWORKDIR app/../web\n").WorkingDir).toBe("/srv/web");
  });

  test("USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL", () => {
    const c = config('FROM a\nARG U=app\nUSER $U:grp\nLABEL a=b "c d"="e f"\nEXPOSE 80 53/UDP\nVOLUME /data\nVOLUME ["/logs", "/tmp"]\nSTOPSIGNAL SIGINT\n');
    expect(c.User).toBe("app:grp");
    expect(c.Labels).toEqual({ a: "b", "c d": "e f" });
    expect(c.ExposedPorts).toEqual({ "80/tcp": {}, "53/udp": {} });
    expect(Object.keys(c.Volumes ?? {}).sort()).toEqual(["/data", "/logs", "/tmp"]);
    expect(c.StopSignal).toBe("SIGINT");
  });

  test("CMD and ENTRYPOINT: shell form through SHELL; ENTRYPOINT resets an inherited CMD but not one set before it", () => {
    expect(config("FROM a\nENTRYPOINT [\"/e\"]\n", { Cmd: ["base"] }).Cmd).toBeUndefined();
    const kept = config("FROM a\nCMD [\"c\"]\nENTRYPOINT /e run\n", { Cmd: ["base"] });
    expect([kept.Cmd, kept.Entrypoint]).toEqual([["c"], ["/bin/sh", "-c", "/e run"]]);
    expect(config('FROM a\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n').Cmd).toEqual(["/bin/bash", "-c", "echo hi"]);
  });

  test("HEALTHCHECK: CMD forms, durations in nanoseconds, NONE", () => {
    const c = config("FROM a\nHEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD curl -f http://localhost/\n");
    expect(c.Healthcheck).toEqual({ Test: ["CMD-SHELL", "curl -f http://localhost/"], Interval: 30e9, Timeout: 90e9, Retries: 3 });
    expect(config('FROM a\nHEALTHCHECK CMD ["true"]\n').Healthcheck).toEqual({ Test: ["CMD", "true"] });
    expect(config("FROM a\nHEALTHCHECK NONE\n").Healthcheck).toEqual({ Test: ["NONE"] });
  });

  test("ONBUILD is recorded; MAINTAINER changes nothing", () => {
    const c = config("FROM a\nONBUILD RUN make\nMAINTAINER me\n");
    expect(c.OnBuild).toEqual(["RUN make"]);
    expect(refused("FROM a\nONBUILD FROM b\n").detail).toMatch(/ONBUILD FROM is not allowed/);
  });

  test("an unknown instruction and an instruction before FROM name their line", () => {
    expect(refused("FROM a\n\nFROBNICATE\n")).toMatchObject({ line: 3, detail: "unknown instruction: FROBNICATE" });
    expect(refused("ENV A=1\nFROM a\n")).toMatchObject({ line: 1 });
    expect(refused('FROM a\nSHELL /bin/bash\n').detail).toMatch(/JSON form/);
  });

  test("HEALTHCHECK flags and EXPOSE ports Docker refuses are config errors at their line, before any build", () => {
    expect(refused("FROM a\nHEALTHCHECK --interval=abc CMD true\n")).toMatchObject({ line: 2, detail: 'HEALTHCHECK --interval: invalid duration "abc"' });
    expect(refused("FROM a\nHEALTHCHECK --retries=x CMD true\n")).toMatchObject({ line: 2, detail: expect.stringMatching(/--retries/) });
    expect(refused("FROM a\nEXPOSE abc\n")).toMatchObject({ line: 2, detail: "EXPOSE: invalid containerPort: abc" });
    expect(refused("FROM a\nEXPOSE 80/bogus\n")).toMatchObject({ line: 2, detail: "EXPOSE: invalid proto: bogus" });
    let expanded: unknown;
    try {
      config("FROM a\nARG P=http\nEXPOSE $P\n");
    } catch (err) {
      expanded = err;
    }
    expect(expanded).toMatchObject({ name: "ConfigError", line: 3, detail: "EXPOSE: invalid containerPort: http" });
    // A range is one key per port, as the engine's BuildKit records it (nat.ParsePortSpecs).
    expect(config("FROM a\nEXPOSE 80 53/UDP 8000-8002/tcp\n").ExposedPorts).toEqual({ "80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}, "8002/tcp": {} });
    // Docker's documented example: every pair of one ENV sees the environment before it.
    expect(config("FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n").Env).toEqual(["PATH=/bin", "abc=bye", "def=hello", "ghi=bye"]);
  });

  test("a HEALTHCHECK CMD that is not a JSON array of strings is the shell form, as in Docker", () => {
    expect(config('FROM a\nHEALTHCHECK CMD ["a",\n').Healthcheck?.Test).toEqual(["CMD-SHELL", '["a",']);
    expect(config('FROM a\nHEALTHCHECK --interval=5s CMD ["a"]\n').Healthcheck).toMatchObject({ Test: ["CMD", "a"], Interval: 5e9 });
  });

  test("an unknown --target names the Dockerfile and its stages, at no line (the target is not written in the file)", () => {
    let err: unknown;
    try {
      steps("FROM a AS build\nFROM build AS final\n", { target: "nope" });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: "ConfigError", file: "Dockerfile", line: undefined, message: 'Dockerfile: target stage "nope" is not in the Dockerfile (stages: build, final)' });
    expect(steps("FROM a AS build\nFROM build AS final\n", { target: "BUILD" }).steps).toHaveLength(1);
  });

  test("every syntax problem of a Dockerfile is reported in one pass, in line order", () => {
    const err = refused("ENV A=1\nFROM a\nFROBNICATE x\nRUN --security=insecure true\nFROM b AS bad name\nWIBBLE\n");
    expect(err.problems.map((p) => [p.line, p.detail])).toEqual([
      [1, "ENV before the first FROM (only ARG may come before it)"],
      [3, "unknown instruction: FROBNICATE"],
      [4, "RUN --security is not supported"],
      [5, "FROM takes an image and optionally AS name"],
      [6, "unknown instruction: WIBBLE"],
    ]);
    expect(err).toMatchObject({ file: "Dockerfile", line: 1 });
  });

  test("missing arguments and bad ONBUILD/SHELL forms are syntax problems too, in stages the target does not use", () => {
    const err = refused("FROM a AS unused\nENV\nRUN\nONBUILD FROM x\nSHELL /bin/bash -c\nCOPY onlyone\nWORKDIR\nFROM b\nLABEL\nCMD\n");
    expect(err.problems.map((p) => [p.line, p.detail])).toEqual([
      [2, "ENV requires at least one argument"],
      [3, "RUN requires at least one argument"],
      [4, "ONBUILD FROM is not allowed"],
      [5, "SHELL requires the arguments to be in JSON form"],
      [6, "COPY requires at least one source and a destination"],
      [7, "WORKDIR requires at least one argument"],
      [9, "LABEL requires at least one argument"],
    ]);
  });
});

describe("stage identity for explanations", () => {
  test("a Dockerfile stage is the same stage across edits of its words; stapel names are themselves", async () => {
    const { stageKey } = await import("../../../src/build/explain.ts");
    expect(stageKey("RUN#4 make all")).toBe("RUN#4");
    expect(stageKey("RUN#4 make")).toBe(stageKey("RUN#4 make all"));
    expect(stageKey("RUN#14 x")).not.toBe(stageKey("RUN#1 x"));
    expect(stageKey("install")).toBe("install");
  });
});
