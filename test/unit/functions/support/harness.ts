/**
 * The handler tests run under vitest and under Deno (`npm run test:deno`). Both give a
 * `test(name, fn)`; assertions come from node:assert, which both runtimes provide.
 */
type Body = () => Promise<void> | void;
type DenoTest = { test(def: { name: string; fn: Body; sanitizeOps: boolean; sanitizeResources: boolean }): void };

const deno = (globalThis as { Deno?: DenoTest }).Deno;

export const test: (name: string, fn: Body) => void = deno
  ? (name, fn) => deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false })
  : (await import("vitest")).it;

export const isDeno = deno !== undefined;

/** Reads a fixture from test/fixtures/events (node:fs/promises exists in both runtimes). */
export async function fixtureText(name: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return readFile(new URL(`../../../fixtures/events/${name}`, import.meta.url), "utf8");
}

export async function fixture<T = Record<string, unknown>>(name: string): Promise<T> {
  return JSON.parse(await fixtureText(name)) as T;
}
