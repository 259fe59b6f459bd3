import type { KubeImageUse } from "../k8s/types.ts";
import { isLoopback, parseImageRef } from "../registry/ref.ts";

function port(host: string): string {
  const m = /:(\d+)$/.exec(host);
  return m ? m[1] : "";
}

/** Same registry host; loopback names (localhost, 127.0.0.1, [::1]) on one port are one registry. */
export function sameHost(a: string, b: string): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  return isLoopback(a) && isLoopback(b) && port(a) === port(b);
}

export interface KubeIndex {
  /** `repository:tag` -> where it is used. */
  byTag: Map<string, string>;
  /** `repository@sha256:...` -> where it is used. */
  byDigest: Map<string, string>;
}

/** The cluster's references into our registry, by tag and by digest (both count). */
export function indexKubeImages(uses: KubeImageUse[], host: string): KubeIndex {
  const index: KubeIndex = { byTag: new Map(), byDigest: new Map() };
  for (const use of uses) {
    let ref;
    try {
      ref = parseImageRef(use.image);
    } catch {
      continue; // not a reference we could hold (e.g. a bare image id)
    }
    if (!sameHost(ref.registry, host)) continue;
    if (ref.digest && !index.byDigest.has(`${ref.repository}@${ref.digest}`)) index.byDigest.set(`${ref.repository}@${ref.digest}`, use.where);
    const tagKey = `${ref.repository}:${ref.tag ?? "latest"}`;
    if (!ref.digest && !index.byTag.has(tagKey)) index.byTag.set(tagKey, use.where);
  }
  return index;
}
