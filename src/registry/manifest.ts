/** What a manifest body refers to: config + layers of an image, or the child manifests of an index. */
export function manifestReferences(body: Uint8Array): { blobs: string[]; manifests: string[] } {
  const json = JSON.parse(new TextDecoder().decode(body)) as {
    config?: { digest: string };
    layers?: Array<{ digest: string }>;
    manifests?: Array<{ digest: string }>;
  };
  return {
    blobs: [...(json.config ? [json.config.digest] : []), ...(json.layers ?? []).map((l) => l.digest)],
    manifests: (json.manifests ?? []).map((m) => m.digest),
  };
}
