/** The few registry reads the bench needs for byte accounting (plain HTTP on loopback). */

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Size of a stored blob (HEAD; the registry answers with its Content-Length). */
export async function blobSize(host: string, repo: string, digest: string): Promise<number> {
  const res = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
  if (!res.ok) throw new Error(`HEAD ${repo}@${digest}: HTTP ${res.status}`);
  return Number(res.headers.get("content-length") ?? 0);
}

interface ManifestDoc {
  layers?: { digest: string }[];
  manifests?: { digest: string }[];
}

async function manifestLayers(host: string, repo: string, ref: string, out: Set<string>): Promise<void> {
  const doc = await getJson<ManifestDoc>(`http://${host}/v2/${repo}/manifests/${ref}`, { Accept: MANIFEST_TYPES });
  for (const l of doc.layers ?? []) out.add(l.digest);
  for (const m of doc.manifests ?? []) await manifestLayers(host, repo, m.digest, out);
}

/** All repositories, following the registry's Link pagination (it caps a page at 1000). */
async function catalog(host: string): Promise<string[]> {
  const repos: string[] = [];
  let next: string | undefined = "/v2/_catalog?n=1000";
  while (next) {
    const res: Response = await fetch(`http://${host}${next}`);
    if (!res.ok) throw new Error(`GET ${next}: HTTP ${res.status}`);
    repos.push(...((await res.json()) as { repositories: string[] }).repositories);
    next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
  }
  return repos;
}

/**
 * Adds every layer digest referenced by a tagged manifest in the registry to `out`:
 * what separates layer bytes from config bytes in the access log. With `prefix`,
 * only repositories whose path starts with it (a job reads its own repositories
 * and the base, whose layers are added once at the start): the walk stays as
 * short as one job's repositories while the registry fills up.
 */
export async function addLayerDigests(host: string, out: Set<string>, prefix = ""): Promise<void> {
  for (const repo of (await catalog(host)).filter((r) => r.startsWith(prefix))) {
    const { tags } = await getJson<{ tags: string[] | null }>(`http://${host}/v2/${repo}/tags/list`);
    for (const tag of tags ?? []) await manifestLayers(host, repo, tag, out);
  }
}
