import { describe, expect, test } from "vitest";
import type { ImageSpec } from "../../../src/config/types.ts";
import { applyImageSpec } from "../../../src/build/stages/image-spec.ts";

const spec = (over: Partial<ImageSpec> = {}): ImageSpec => ({
  clearHistory: false, clear: { cmd: false, entrypoint: false, user: false, workingDir: false },
  removeLabels: [], removeVolumes: [], removeEnv: [], volumes: [], labels: {}, env: {}, ...over,
});
const names = { project: "shop", image: "api" };

describe("imageSpec, as werf applies it", () => {
  test("labels: removal by name or /regex/, additions with %project% and %image%", () => {
    const out = applyImageSpec(
      { Labels: { maintainer: "x", "org.opencontainers.image.source": "y", keep: "z" } },
      spec({ removeLabels: ["maintainer", "/org\\.opencontainers\\..*/"], labels: { "%project%.image": "%image%" } }), names,
    );
    expect(out.Labels).toEqual({ keep: "z", "shop.image": "api" });
  });

  test("env: removal, additions expanding $VAR from the image's env", () => {
    const out = applyImageSpec({ Env: ["PATH=/bin", "DEBUG=1"] }, spec({ removeEnv: ["DEBUG"], env: { PATH: "/app/bin:$PATH", HOME: "${NOPE}/x" } }), names);
    expect(out.Env).toEqual(["PATH=/app/bin:/bin", "HOME=/x"]);
  });

  test("expose replaces the ports; volumes are added and removed", () => {
    const out = applyImageSpec({ ExposedPorts: { "80/tcp": {} }, Volumes: { "/old": {}, "/keep": {} } }, spec({ expose: ["8080", "53/udp"], removeVolumes: ["/old"], volumes: ["/data"] }), names);
    expect(out.ExposedPorts).toEqual({ "8080/tcp": {}, "53/udp": {} });
    expect(out.Volumes).toEqual({ "/keep": {}, "/data": {} });
  });

  test("entrypoint without cmd clears the inherited cmd; clear* drop values; healthcheck seconds become nanoseconds", () => {
    const base = { Cmd: ["sh"], User: "root", WorkingDir: "/w", Entrypoint: ["/e"] };
    expect(applyImageSpec(base, spec({ entrypoint: ["/app"] }), names)).toMatchObject({ Entrypoint: ["/app"], Cmd: null });
    expect(applyImageSpec(base, spec({ cmd: ["run"] }), names)).toMatchObject({ Entrypoint: ["/e"], Cmd: ["run"] });
    const cleared = applyImageSpec(base, spec({ clear: { cmd: true, entrypoint: true, user: true, workingDir: true } }), names);
    expect(cleared).toEqual({ Cmd: null, Entrypoint: null });
    expect(applyImageSpec({}, spec({ healthcheck: { test: ["CMD", "true"], interval: 5, retries: 2 } }), names).Healthcheck)
      .toEqual({ Test: ["CMD", "true"], Interval: 5e9, Retries: 2 });
  });
});
