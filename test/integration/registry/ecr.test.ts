import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryError } from "../../../src/errors.ts";
import { EcrRegistry, ecrTokenCredentials } from "../../../src/registry/ecr.ts";
import { createRegistry, staticCredentials } from "../../../src/registry/index.ts";
import { OciRegistry } from "../../../src/registry/oci.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import type { EcrPort, Registry } from "../../../src/registry/types.ts";
import { testRegistry } from "../../support/services.ts";
import { registryContract } from "../../unit/registry/contract.ts";
import { fastRetry, configBlob, manifest } from "../../unit/registry/fixtures.ts";

const USER = "slipway";
const PASS = "s3cret-pass";

let server: LocalRegistry;
beforeAll(async () => {
  server = await testRegistry({ htpasswd: await readFile(new URL("./fixtures/htpasswd", import.meta.url), "utf8") });
});
afterAll(async () => {
  await server?.stop();
});

/**
 * An ECR API stand-in whose token is the registry's basic credentials and whose
 * tag calls act on the same real registry, so EcrRegistry runs end to end: OCI
 * calls authenticated with the ECR token, tag calls through the port.
 */
function fakeEcrApi(): EcrPort & { tokenCalls: number } {
  const oci = createRegistry({ host: server.host, credentials: staticCredentials({ username: USER, password: PASS }), retry: fastRetry() });
  const api = {
    tokenCalls: 0,
    async getAuthorizationToken() {
      api.tokenCalls++;
      return { username: USER, password: PASS, expiresAt: new Date(Date.now() + 12 * 3600_000) };
    },
    async putImage(input: { repository: string; tag: string; manifest: string; mediaType: string }) {
      const existing = await oci.headManifest(input.repository, input.tag);
      const digest = await oci.putManifest(input.repository, input.tag, new TextEncoder().encode(input.manifest), input.mediaType);
      return existing?.digest === digest ? ("exists" as const) : ("created" as const);
    },
    async batchGetImage(input: { repository: string; tags: string[] }) {
      // BatchGetImage returns each image's manifest text.
      const found = await oci.findTags(input.repository, input.tags, { manifests: true });
      return [...found].map(([tag, { manifest, ...d }]) => ({ tag, ...d, ...(manifest && { manifest: Buffer.from(manifest.body).toString("utf8") }) }));
    },
    async batchDeleteImage(input: { repository: string; ids: Array<{ tag?: string; digest?: string }> }) {
      for (const id of input.ids) if (id.digest) await oci.deleteManifest(input.repository, id.digest);
      return [];
    },
  };
  return api;
}

function ecrRegistry(api: EcrPort): Registry {
  const retry = fastRetry();
  const port = () => Promise.resolve(api);
  const oci = new OciRegistry(server.host, { retry, concurrency: 8, tagsPageSize: 1000, credentials: ecrTokenCredentials(port, retry) });
  return new EcrRegistry(oci, port, retry);
}

registryContract("ECR registry (token auth on a real registry, fake ECR API)", () => ecrRegistry(fakeEcrApi()));

describe("ECR token as basic auth for OCI calls", () => {
  it("fetches the token once and uses it for every OCI request", async () => {
    const api = fakeEcrApi();
    const reg = ecrRegistry(api);
    const config = configBlob();
    await reg.pushBlob("ecr/app", config.digest, config.data);
    const m = manifest("oci", config, []);
    await reg.putManifest("ecr/app", "stage", m.body, m.mediaType);
    await reg.tagManifest("ecr/app", "main", (await reg.getManifest("ecr/app", "stage"))!);
    expect((await reg.headManifest("ecr/app", "main"))?.digest).toBe(m.digest);
    expect(api.tokenCalls).toBe(1);
  });

  it("fails with 401 when the token is refused", async () => {
    const api = { ...fakeEcrApi(), getAuthorizationToken: async () => ({ username: "AWS", password: "expired", expiresAt: new Date(Date.now() + 3600_000) }) };
    const err = await ecrRegistry(api).headManifest("ecr/app", "main").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ status: 401 });
  });
});
