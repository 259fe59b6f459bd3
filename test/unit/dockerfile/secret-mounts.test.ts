import { describe, expect, test } from "vitest";
import { parseMount } from "../../../src/dockerfile/mounts.ts";
import { MissingSecret, secretRunParts, type SecretMount, type SshMount } from "../../../src/dockerfile/secret-mounts.ts";
import { parseSecretFlag } from "../../../src/build/secrets/values.ts";
import { maskError, maskText, StreamMask } from "../../../src/build/secrets/mask.ts";
import { BuildError, ConfigError, UsageError } from "../../../src/errors.ts";

describe("RUN --mount=type=secret|ssh (BuildKit's keys and defaults)", () => {
  test("secret: id or target; /run/secrets/<id>, 0400 root by default; env alone makes no file", () => {
    expect(parseMount("type=secret,id=tok")).toEqual({ type: "secret", id: "tok", target: "/run/secrets/tok", mode: 0o400, uid: 0, gid: 0, required: undefined });
    expect(parseMount("type=secret,target=/root/.npmrc,mode=0440,uid=1000,gid=100,required")).toMatchObject({ id: ".npmrc", target: "/root/.npmrc", mode: 0o440, uid: 1000, gid: 100, required: true });
    expect(parseMount("type=secret,id=tok,env=TOKEN")).toEqual({ type: "secret", id: "tok", env: "TOKEN", mode: 0o400, uid: 0, gid: 0, required: undefined });
    expect(parseMount("type=secret,id=tok,env=TOKEN,target=/t")).toMatchObject({ env: "TOKEN", target: "/t" });
    expect(() => parseMount("type=secret")).toThrow(/one of id or target/);
    expect(() => parseMount("type=secret,id=a,mode=9")).toThrow(/invalid mode/);
    expect(() => parseMount("type=secret,id=a,from=x")).toThrow(/from is not supported/);
    expect(() => parseMount("type=secret,id=a,env=1X")).toThrow(/invalid env/);
  });

  test("ssh: id default, BuildKit's agent paths by position, SSH_AUTH_SOCK the first", () => {
    const a = parseMount("type=ssh") as SshMount;
    const b = parseMount("type=ssh,target=/agent,mode=0666") as SshMount;
    expect(a).toEqual({ type: "ssh", id: "default", target: "", mode: 0o600, uid: 0, gid: 0, required: undefined });
    const parts = secretRunParts([a, b], new Map(), "/tmp/agent.sock");
    expect(parts.binds().map((x) => x.target)).toEqual(["/run/buildkit/ssh_agent.0", "/agent"]);
    expect(parts.env()).toEqual(["SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0"]);
    expect(secretRunParts([a], new Map(), undefined).binds()).toEqual([]);
    expect(() => secretRunParts([parseMount("type=ssh,required") as SshMount], new Map(), undefined)).toThrow(MissingSecret);
    expect(() => secretRunParts([parseMount("type=ssh,id=github") as SshMount], new Map(), "/s")).toThrow(/only the default agent/);
  });

  test("a secret nobody gives is an error unless required=false; env= secrets become variables", () => {
    const values = new Map([["tok", { id: "tok", value: Buffer.from("v"), rebuildOnChange: false }]]);
    expect(() => secretRunParts([parseMount("type=secret,id=nope") as SecretMount], values, undefined)).toThrow(/no secret "nope"/);
    expect(secretRunParts([parseMount("type=secret,id=nope,required=false") as SecretMount], values, undefined).binds()).toEqual([]);
    const parts = secretRunParts([parseMount("type=secret,id=tok,env=T") as SecretMount], values, undefined);
    expect([parts.binds(), parts.env()]).toEqual([[], ["T=v"]]);
  });
});

describe("--secret (docker build's form)", () => {
  test("src, env, type; the id defaults to the variable or the file's name", () => {
    expect(parseSecretFlag("id=npm,src=/home/u/.npmrc")).toEqual({ id: "npm", source: { src: "/home/u/.npmrc" } });
    expect(parseSecretFlag("id=tok,env=GITLAB_TOKEN")).toEqual({ id: "tok", source: { env: "GITLAB_TOKEN" } });
    expect(parseSecretFlag("env=API_TOKEN")).toEqual({ id: "API_TOKEN", source: { env: "API_TOKEN" } });
    expect(parseSecretFlag("id=X")).toEqual({ id: "X", source: { env: "X" } });
    expect(parseSecretFlag("id=f,type=file")).toEqual({ id: "f", source: { src: "f" } });
    expect(parseSecretFlag("source=/a/key.pem")).toEqual({ id: "key.pem", source: { src: "/a/key.pem" } });
    for (const bad of ["", "id", "id=a,foo=b", "id=a,src=x,env=y", "id=a/b,env=x", "id=a,type=ssh"]) expect(() => parseSecretFlag(bad)).toThrow(UsageError);
  });
});

describe("masking", () => {
  test("every value in text, longest first", () => {
    expect(maskText("a=s3cret b=s3cret-long", [Buffer.from("s3cret"), Buffer.from("s3cret-long")])).toBe("a=**** b=****");
  });

  test("a value split across chunks is still masked; other text passes", () => {
    const mask = new StreamMask(() => [Buffer.from("TOPSECRET")]);
    const out = [mask.push(Buffer.from("x TOP")), mask.push(Buffer.from("SEC")), mask.push(Buffer.from("RET y TO")), mask.end()].map(String).join("");
    expect(out).toBe("x **** y TO");
    expect(String(new StreamMask(() => []).push(Buffer.from("plain")))).toBe("plain");
  });

  test("errors keep their class and data, their messages (and their problems') masked", () => {
    const values = [Buffer.from("hunter2")];
    const build = maskError(new BuildError("app", "install", "engine said: hunter2 rejected"), values) as BuildError;
    expect([build instanceof BuildError, build.image, build.message]).toEqual([true, "app", expect.stringContaining("engine said: **** rejected")]);
    const a = new ConfigError("f", 1, 1, "x", "hunter2 a");
    const all = ConfigError.all([a, new ConfigError("f", 2, 1, "y", "b hunter2")]);
    maskError(all, values);
    expect([all.message, all.problems.map((p) => p.message)]).toEqual(["f:1:1: x: **** a\nf:2:1: y: b ****", ["f:1:1: x: **** a", "f:2:1: y: b ****"]]);
  });
});
