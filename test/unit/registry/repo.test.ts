import { describe, expect, it } from "vitest";
import { stageStore } from "../../../src/build/wiring.ts";
import { splitRepo } from "../../../src/cleanup/repos.ts";
import { parseRepo } from "../../../src/cleanup/wiring.ts";
import { UsageError } from "../../../src/errors.ts";
import { cleanupTarget } from "../../../src/functions-config/cleanup.ts";
import { parseFunctionsConfig } from "../../../src/functions-config/config.ts";
import { parseStagesRepo } from "../../../src/registry/repo.ts";
import type { Registry } from "../../../src/registry/types.ts";

const ACCEPTED: Array<[string, string, string]> = [
  ["localhost:5000/app", "localhost:5000", "app"],
  ["localhost/app", "localhost", "app"],
  ["127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app"],
  ["[::1]:5000/app", "[::1]:5000", "app"],
  ["registry.example.com/team/app-stages", "registry.example.com", "team/app-stages"],
  ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "slipway"],
  ["Registry.Example.com/a__b/c.d", "Registry.Example.com", "a__b/c.d"],
  ["index.docker.io/team/app", "docker.io", "team/app"],
];

const REFUSED = [
  "team/app", // no host: would silently mean Docker Hub
  "app",
  "localhost:5000",
  "localhost:5000/",
  "localhost:5000/app:latest",
  "localhost:5000/app@sha256:0123",
  "localhost:5000/App",
  "localhost:5000/app/",
  "localhost:5000//app",
  "local host:5000/app",
  "-bad.example/app",
  "/app",
];

/** Every place a REPO enters: bp/push/stages, cleanup repo, the cleanup function's SLIPWAY_REPO. */
async function entries(text: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const hosts: string[] = [];
  const registryFor = (host: string) => (hosts.push(host), { host } as unknown as Registry);
  const attempt = async (name: string, f: () => unknown) => {
    try {
      out[name] = JSON.stringify(await f());
    } catch (err) {
      expect(err, name).toBeInstanceOf(UsageError);
      out[name] = "refused";
    }
  };
  await attempt("bp/stages", async () => {
    const store = await stageStore(text, registryFor);
    return { host: hosts.at(-1), repository: store.repository };
  });
  await attempt("cleanup repo", () => parseRepo(text));
  await attempt("cleanup function", () => cleanupTarget(text));
  await attempt("SLIPWAY_REPO", () => {
    parseFunctionsConfig({ SLIPWAY_REPO: text, SLIPWAY_PROJECTS: "1" });
    return splitRepo(text) ?? "accepted but not split";
  });
  return out;
}

describe("one REPO grammar", () => {
  it.each(ACCEPTED)("%s is host %s, repository %s, for every command", async (text, host, repository) => {
    expect(parseStagesRepo(text)).toEqual({ host, repository });
    const all = await entries(text);
    expect(new Set(Object.values(all)), JSON.stringify(all)).toEqual(new Set([JSON.stringify({ host, repository })]));
  });

  it.each(REFUSED)("%j is refused by every command", async (text) => {
    const all = await entries(text);
    expect(all).toEqual({ "bp/stages": "refused", "cleanup repo": "refused", "cleanup function": "refused", SLIPWAY_REPO: "refused" });
  });

  it("names the variable and the rule broken", () => {
    expect(() => parseStagesRepo("team/app")).toThrow(/^REPO must start with a registry host/);
    expect(() => parseStagesRepo("localhost:5000/app:1", "SLIPWAY_REPO")).toThrow(/^SLIPWAY_REPO must not carry a tag/);
  });
});
