import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryError } from "../../../src/errors.ts";
import { createRegistry, dockerConfigCredentials, staticCredentials } from "../../../src/registry/index.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { scratchDir, testRegistry } from "../../support/services.ts";
import { configBlob, fastRetry, manifest } from "../../unit/registry/fixtures.ts";
import { startProxy } from "./proxy.ts";

// bcrypt (cost 5) of "s3cret-pass" for user "slipway"; docker-registry accepts only bcrypt.
const USER = "slipway";
const PASS = "s3cret-pass";

async function dockerConfig(content: unknown): Promise<string> {
  const dir = await scratchDir("slipway-dockercfg-");
  const path = join(dir, "config.json");
  await writeFile(path, JSON.stringify(content));
  return path;
}

async function roundTrip(reg: ReturnType<typeof createRegistry>, repo: string): Promise<void> {
  const config = configBlob();
  await reg.pushBlob(repo, config.digest, config.data);
  const m = manifest("oci", config, []);
  await reg.putManifest(repo, "v1", m.body, m.mediaType);
  expect((await reg.getManifest(repo, "v1"))?.digest).toBe(m.digest);
}

describe("basic auth (htpasswd registry)", () => {
  let server: LocalRegistry;
  beforeAll(async () => {
    server = await testRegistry({ htpasswd: await readFile(new URL("./fixtures/htpasswd", import.meta.url), "utf8") });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("uses credentials from a Docker config.json `auths` entry", async () => {
    const path = await dockerConfig({ auths: { [`http://${server.host}`]: { auth: Buffer.from(`${USER}:${PASS}`).toString("base64") } } });
    await roundTrip(createRegistry({ host: server.host, credentials: dockerConfigCredentials({ path }), retry: fastRetry() }), "basic/auths");
  });

  it("runs a credential helper from credHelpers when it is on PATH", async () => {
    const bin = await scratchDir("slipway-helper-");
    await mkdir(bin, { recursive: true });
    const helper = join(bin, "docker-credential-fake");
    // The helper echoes back the server URL it was given, so we know stdin carried it.
    await writeFile(helper, `#!/bin/sh\nread url\n[ "$1" = get ] || exit 2\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASS}"}' "$url"\n`);
    await chmod(helper, 0o755);
    const path = await dockerConfig({ credHelpers: { [server.host]: "fake" }, auths: { [server.host]: { auth: Buffer.from("wrong:wrong").toString("base64") } } });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    await roundTrip(createRegistry({ host: server.host, credentials: dockerConfigCredentials({ path, env }), retry: fastRetry() }), "basic/helper");
  });

  it("falls back to `auths` when the credsStore helper is not installed", async () => {
    const path = await dockerConfig({ credsStore: "not-installed-anywhere", auths: { [server.host]: { username: USER, password: PASS } } });
    await roundTrip(createRegistry({ host: server.host, credentials: dockerConfigCredentials({ path }), retry: fastRetry() }), "basic/store");
  });

  it("fails with 401 UNAUTHORIZED, without retrying, when anonymous or wrong", async () => {
    const anon = createRegistry({ host: server.host, retry: fastRetry() });
    await expect(anon.headManifest("basic/x", "v1")).rejects.toMatchObject({ name: "RegistryError", status: 401, code: "UNAUTHORIZED" });
    expect(anon.stats.requests).toBe(1);
    const wrong = createRegistry({ host: server.host, credentials: staticCredentials({ username: USER, password: "nope" }), retry: fastRetry() });
    const err = await wrong.listTags("basic/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ status: 401 });
    expect(wrong.stats.requests).toBe(2);
  });

  it("treats a missing Docker config.json as anonymous", async () => {
    const reg = createRegistry({ host: server.host, credentials: dockerConfigCredentials({ path: "/nonexistent/config.json" }), retry: fastRetry() });
    await expect(reg.hasBlob("basic/x", configBlob().digest)).rejects.toMatchObject({ status: 401 });
  });
});

describe("bearer token flow (token server in front of a real registry)", () => {
  let server: LocalRegistry;
  beforeAll(async () => {
    server = await testRegistry();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("fetches a token for the challenged scope, caches it, and re-uses it", async () => {
    await using proxy = await startProxy({ target: server.host, bearer: { username: USER, password: PASS } });
    const reg = createRegistry({ host: proxy.host, credentials: staticCredentials({ username: USER, password: PASS }), retry: fastRetry() });
    await roundTrip(reg, "bearer/app");
    await reg.headManifest("bearer/app", "v1");
    await reg.listTags("bearer/app");
    // One token per distinct scope (pull,push for the push; pull for reads), not one per request.
    expect(proxy.tokenRequests.length).toBe(2);
    // A new repository: 20 parallel HEADs share one token, fetched before the first HEAD (no 401 round trip).
    const before = reg.stats.requests;
    const found = await reg.findTags("bearer/other", Array.from({ length: 20 }, (_, i) => `t${i}`));
    expect(found.size).toBe(0);
    expect(proxy.tokenRequests.length).toBe(3);
    expect(reg.stats.requests - before).toBe(21);
    const first = proxy.tokenRequests[0];
    expect(first.searchParams.get("service")).toBe("fake-registry");
    expect(first.searchParams.getAll("scope")).toContain("repository:bearer/app:pull,push");
  });

  it("exchanges a Docker identitytoken as an OAuth2 refresh token", async () => {
    await using proxy = await startProxy({ target: server.host, bearer: { username: USER, password: PASS, refreshToken: "refresh-123" } });
    const path = await dockerConfig({ auths: { [proxy.host]: { identitytoken: "refresh-123" } } });
    await roundTrip(createRegistry({ host: proxy.host, credentials: dockerConfigCredentials({ path }), retry: fastRetry() }), "bearer/identity");
    expect(proxy.tokenRequests.length).toBeGreaterThan(0);
  });

  it("renews a token once it expires", async () => {
    // expires_in 11 s leaves 1 s of use (renewal starts 10 s early)
    await using proxy = await startProxy({ target: server.host, bearer: { username: USER, password: PASS, expiresIn: 11 } });
    const reg = createRegistry({ host: proxy.host, credentials: staticCredentials({ username: USER, password: PASS }), retry: fastRetry() });
    await reg.listTags("bearer/renew");
    await reg.listTags("bearer/renew");
    expect(proxy.tokenRequests.length).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    await reg.listTags("bearer/renew");
    expect(proxy.tokenRequests.length).toBe(2);
  });

  it("fails cleanly when the token server refuses the credentials", async () => {
    await using proxy = await startProxy({ target: server.host, bearer: { username: USER, password: PASS } });
    const reg = createRegistry({ host: proxy.host, credentials: staticCredentials({ username: USER, password: "bad" }), retry: fastRetry() });
    await expect(reg.getManifest("bearer/app", "v1")).rejects.toMatchObject({ name: "RegistryError", status: 401, code: "UNAUTHORIZED" });
  });
});
