import { describe, expect, it } from "vitest";
import { formatImageRef, isLoopback, parseImageRef, registryBaseUrl } from "../../../src/registry/ref.ts";

const D = `sha256:${"a".repeat(64)}`;

describe("parseImageRef", () => {
  it.each([
    ["busybox", { registry: "docker.io", repository: "library/busybox" }],
    ["busybox:1.36", { registry: "docker.io", repository: "library/busybox", tag: "1.36" }],
    ["user/app:v1", { registry: "docker.io", repository: "user/app", tag: "v1" }],
    ["index.docker.io/user/app", { registry: "docker.io", repository: "user/app" }],
    ["localhost/app", { registry: "localhost", repository: "app" }],
    ["127.0.0.1:5000/a/b:t", { registry: "127.0.0.1:5000", repository: "a/b", tag: "t" }],
    [`127.0.0.1:5000/a/b:t@${D}`, { registry: "127.0.0.1:5000", repository: "a/b", tag: "t", digest: D }],
    [`ghcr.io/o/r@${D}`, { registry: "ghcr.io", repository: "o/r", digest: D }],
    ["[::1]:5000/x", { registry: "[::1]:5000", repository: "x" }],
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/app/web:main", { registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", repository: "app/web", tag: "main" }],
  ])("%s", (input, expected) => {
    expect(parseImageRef(input)).toEqual(expected);
  });

  it.each(["Upper/case", "a/b:bad tag", "a@sha256", "a//b", ":tag"])("refuses %s with a UsageError", (input) => {
    expect(() => parseImageRef(input)).toThrow(expect.objectContaining({ name: "UsageError" }));
  });

  it("round-trips through formatImageRef", () => {
    for (const s of [`127.0.0.1:5000/a/b:t@${D}`, "docker.io/library/busybox:latest", "ghcr.io/o/r"]) expect(formatImageRef(parseImageRef(s))).toBe(s);
  });
});

describe("transport choice", () => {
  it("uses plain HTTP for loopback and insecure hosts only", () => {
    for (const h of ["localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "::1"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["10.0.0.1:5000", "example.com", "127.example.com"]) expect(isLoopback(h)).toBe(false);
    expect(registryBaseUrl("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
    expect(registryBaseUrl("registry.lan:5000", true)).toBe("http://registry.lan:5000");
    expect(registryBaseUrl("ghcr.io")).toBe("https://ghcr.io");
    expect(registryBaseUrl("docker.io")).toBe("https://registry-1.docker.io");
  });
});
