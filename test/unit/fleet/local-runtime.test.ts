import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { fileDedupe } from "../../../functions/runtime/file-dedupe.ts";
import { localQueue, serveHttp } from "../../../functions/runtime/local.ts";
import { register as registerFleet } from "../../../src/cli/commands/fleet.ts";
import { register as registerFunctions } from "../../../src/cli/commands/functions.ts";
import { NodeTable } from "../../../src/fleet/local/state.ts";

const tmp = () => mkdtemp(join(tmpdir(), "slipway-unit-"));

describe("local runtime", () => {
  it("file dedupe claims a key once, also across instances, and forgets released keys", async () => {
    const file = join(await tmp(), "dedupe.json");
    const a = fileDedupe(file);
    expect(await Promise.all([a.claim("1"), a.claim("1"), a.claim("2")])).toEqual([true, false, true]);
    expect(await fileDedupe(file).claim("1")).toBe(false);
    await a.release("2");
    expect(await fileDedupe(file).claim("2")).toBe(true);
  });

  it("file dedupe forgets keys after its TTL", async () => {
    let now = 0;
    const d = fileDedupe(join(await tmp(), "d.json"), 1000, () => now);
    expect(await d.claim("1")).toBe(true);
    now = 2000;
    expect(await d.claim("1")).toBe(true);
  });

  it("the local queue redelivers messages the consumer asks to retry", async () => {
    let calls = 0;
    const q = localQueue(async (batch) => ({ retry: ++calls === 1 ? batch.messages.map((m) => m.id) : [] }), { retryDelayMs: 10 });
    await q.send({ jobId: 1, projectId: 2 });
    await vi.waitFor(() => expect(calls).toBe(2));
    q.stop();
  });

  it("the local queue gives a message up after maxAttempts deliveries", async () => {
    let calls = 0;
    const dropped: string[] = [];
    const q = localQueue(async (batch) => (calls++, { retry: batch.messages.map((m) => m.id) }), { retryDelayMs: 5, maxAttempts: 3, onDrop: (m) => dropped.push(m.body) });
    await q.send({ jobId: 1, projectId: 2 });
    await vi.waitFor(() => expect(dropped).toEqual(['{"jobId":1,"projectId":2}']));
    expect(calls).toBe(3);
    q.stop();
  });

  it("the HTTP adapter turns node requests into Web Requests and back", async () => {
    await using s = await serveHttp({ "/echo": async (req) => new Response(`${req.method} ${await req.text()} ${req.headers.get("x-a")}`, { status: 201 }) });
    const res = await fetch(`${s.url}/echo`, { method: "POST", body: "hi", headers: { "x-a": "b" } });
    expect([res.status, await res.text()]).toEqual([201, "POST hi b"]);
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
  });

  it("the node table keeps every concurrent update", async () => {
    const t = new NodeTable(await tmp());
    const rec = (i: number) => ({ id: `n${i}`, jobId: i, projectId: 1, state: "running" as const, launchedAt: "", expiresAt: "", ownerPid: 1, root: "" });
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.update((nodes) => void nodes.push(rec(i)))));
    expect((await t.read()).length).toBe(20);
  });
});

describe("CLI commands", () => {
  async function cli(args: string[], env: Record<string, string>) {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const program = new Command("slipway").exitOverride();
      registerFunctions(program);
      registerFleet(program);
      await program.parseAsync(args, { from: "user" });
      return out.join("");
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
  }

  it("fleet ls --json prints an empty list for a fresh home", async () => {
    expect(JSON.parse(await cli(["fleet", "ls", "--json"], { SLIPWAY_HOME: await tmp(), SLIPWAY_FLEET: "local" }))).toEqual([]);
  });

  it("functions run cleanup reports not configured", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = await cli(["functions", "run", "cleanup"], { SLIPWAY_HOME: await tmp(), SLIPWAY_FLEET: "local" });
    stderr.mockRestore();
    expect(JSON.parse(out).status).toBe("not-configured");
  });

  it("functions run rejects an unknown function with a UsageError", async () => {
    await expect(cli(["functions", "run", "nope"], { SLIPWAY_HOME: await tmp() })).rejects.toMatchObject({ name: "UsageError" });
  });
});

describe("local HTTP adapter limits", () => {
  it("answers 413 to a body larger than it buffers, without calling the handler", async () => {
    let called = false;
    await using s = await serveHttp({ "/webhook": async () => ((called = true), new Response("ok")) });
    const res = await fetch(`${s.url}/webhook`, { method: "POST", body: new Uint8Array(9 << 20) }).catch(() => undefined);
    if (res) expect(res.status).toBe(413);
    expect(called).toBe(false);
  });
});
