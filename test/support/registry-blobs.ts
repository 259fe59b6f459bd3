import { gunzipSync } from "node:zlib";
import type { LocalRegistry } from "../../src/registry/server.ts";

async function json(url: string, accept?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, accept ? { headers: { accept } } : {});
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

const ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json";

/**
 * Every manifest and blob (config and layers, gunzipped) of every tag of every
 * repository in the registry, fetched over its HTTP API: what a secret must not be in.
 */
export async function everyBlob(registry: LocalRegistry): Promise<{ name: string; data: Buffer }[]> {
  const base = `http://${registry.host}/v2`;
  const out: { name: string; data: Buffer }[] = [];
  for (const repo of ((await json(`${base}/_catalog?n=1000`)).repositories as string[]) ?? []) {
    for (const tag of ((await json(`${base}/${repo}/tags/list`)).tags as string[] | null) ?? []) {
      const res = await fetch(`${base}/${repo}/manifests/${tag}`, { headers: { accept: ACCEPT } });
      const body = Buffer.from(await res.arrayBuffer());
      out.push({ name: `${repo}:${tag} manifest`, data: body });
      const manifest = JSON.parse(body.toString()) as { config?: { digest: string }; layers?: { digest: string }[] };
      for (const digest of [manifest.config?.digest, ...(manifest.layers ?? []).map((l) => l.digest)].filter((d): d is string => !!d)) {
        const blob = Buffer.from(await (await fetch(`${base}/${repo}/blobs/${digest}`)).arrayBuffer());
        out.push({ name: `${repo}:${tag} ${digest}`, data: blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob });
      }
    }
  }
  return out;
}
