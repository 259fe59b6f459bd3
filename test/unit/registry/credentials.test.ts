import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chainCredentials, dockerConfigCredentials, dockerConfigPath, dockerConfigSource, staticCredentials } from "../../../src/registry/credentials.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("Docker config.json credentials", () => {
  it("reads auth (base64), username/password and identitytoken entries", async () => {
    const src = dockerConfigSource({
      auths: {
        "reg.example.com": { auth: b64("alice:pa:ss") },
        "https://other.example.com/v1/": { username: "bob", password: "pw" },
        "tok.example.com:5000": { identitytoken: "refresh-me" },
      },
    });
    expect(await src.get("reg.example.com")).toEqual({ username: "alice", password: "pa:ss" });
    expect(await src.get("other.example.com")).toEqual({ username: "bob", password: "pw" });
    expect(await src.get("tok.example.com:5000")).toEqual({ identityToken: "refresh-me" });
    expect(await src.get("unknown.example.com")).toBeUndefined();
  });

  it("matches Docker Hub's v1 index key for docker.io", async () => {
    const src = dockerConfigSource({ auths: { "https://index.docker.io/v1/": { auth: b64("hub:pw") } } });
    expect(await src.get("docker.io")).toEqual({ username: "hub", password: "pw" });
  });

  it("falls back to auths when a helper is missing from PATH", async () => {
    const src = dockerConfigSource({ credHelpers: { "reg.example.com": "absent-helper" }, auths: { "reg.example.com": { auth: b64("a:b") } } }, { PATH: "/nonexistent" });
    expect(await src.get("reg.example.com")).toEqual({ username: "a", password: "b" });
  });

  it("treats a missing file as no credentials and a malformed one as a ConfigError", async () => {
    expect(await dockerConfigCredentials({ path: "/nonexistent/config.json" }).get("x")).toBeUndefined();
    const dir = await mkdtemp(join(tmpdir(), "slipway-cfg-"));
    await writeFile(join(dir, "config.json"), "{ not json");
    await expect(dockerConfigCredentials({ path: join(dir, "config.json") }).get("x")).rejects.toMatchObject({ name: "ConfigError", file: join(dir, "config.json") });
  });

  it("finds config.json where Docker does", () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: "/etc/dc" }, "/home/u")).toBe("/etc/dc/config.json");
    expect(dockerConfigPath({}, "/home/u")).toBe("/home/u/.docker/config.json");
  });

  it("chains sources, first answer wins", async () => {
    const none = { get: async () => undefined };
    expect(await chainCredentials(none, staticCredentials({ username: "u", password: "p" })).get("h")).toEqual({ username: "u", password: "p" });
  });
});
