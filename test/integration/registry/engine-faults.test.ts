import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../../src/engine/docker.ts";
import { EngineError } from "../../../src/errors.ts";
import type { PrivateEngine } from "../../../src/engine/daemon.ts";
import type { LocalRegistry } from "../../../src/registry/server.ts";
import { pushBaseImage } from "../../support/base-image.ts";
import { testEngine, testRegistry } from "../../support/services.ts";
import { startProxy, type Fault } from "./proxy.ts";

/**
 * Engine pulls and pushes go through the shared retry policy with as many tries as
 * slipway's own registry client (5): a registry that fails four times in a row still
 * serves the engine, and a 4xx is never retried.
 */
let registry: LocalRegistry;
let node: PrivateEngine;
beforeAll(async () => {
  [registry, node] = await Promise.all([testRegistry(), testEngine()]);
  await pushBaseImage(new DockerEngine({ socketPath: node.socketPath }), `${registry.host}/base:1`);
});
afterAll(async () => {
  await node?.stop();
  await registry?.stop();
});

/** The first `n` requests whose path matches fail with `fault`; everything else passes. */
function firstFail(n: number, match: RegExp, fault: Fault) {
  let failed = 0;
  return ({ method, url }: { method: string; url: string }): Fault => (match.test(`${method} ${url}`) && failed++ < n ? fault : "pass");
}

describe("engine transfers under registry faults", () => {
  it("a pull survives four failed tries (each a HEAD and a GET of the tag, answered 503)", async () => {
    await using proxy = await startProxy({ target: registry.host, fault: firstFail(8, /manifests\/1$/, { status: 503 }) });
    const engine = new DockerEngine({ socketPath: node.socketPath });
    await engine.pull(`${proxy.host}/base:1`);
    expect(await engine.inspectImage(`${proxy.host}/base:1`)).toBeDefined();
    expect(proxy.seen.filter((r) => /manifests\/1$/.test(r.url) && r.status === 503)).toHaveLength(8);
  });

  it("a push survives four dropped manifest uploads", async () => {
    await using proxy = await startProxy({ target: registry.host, fault: firstFail(4, /^PUT .*manifests\//, "drop") });
    const engine = new DockerEngine({ socketPath: node.socketPath });
    await engine.tag(`${registry.host}/base:1`, `${proxy.host}/pushed:1`);
    const pushed = await engine.push(`${proxy.host}/pushed:1`);
    expect(pushed.digest).toMatch(/^sha256:/);
    expect(proxy.seen.filter((r) => r.method === "PUT" && r.url.includes("/manifests/")).map((r) => r.status)).toEqual(["dropped", "dropped", "dropped", "dropped", 201]);
  });

  it("gives up at once on an image the registry does not have", async () => {
    await using proxy = await startProxy({ target: registry.host });
    const engine = new DockerEngine({ socketPath: node.socketPath });
    await expect(engine.pull(`${proxy.host}/missing:1`)).rejects.toBeInstanceOf(EngineError);
    expect(proxy.seen.filter((r) => r.url.includes("/missing/manifests/")).length).toBeLessThanOrEqual(2);
  });
});
