/**
 * A fake Kubernetes API on loopback: serves the cluster-wide list endpoints cleanup
 * reads (pods and workloads), paginated with `limit`/`continue` like the real one.
 * Client-node 1.4 speaks plain HTTP to it when the kubeconfig sets
 * insecure-skip-tls-verify.
 */
import { createServer, type Server } from "node:http";

export interface FakeCluster {
  pods?: Array<{ ns: string; name: string; images: string[]; imageIDs?: string[] }>;
  /** kind path (deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs) -> workloads. */
  workloads?: Record<string, Array<{ ns: string; name: string; images: string[]; init?: string[] }>>;
  /** Answer every request with this status (an unreadable cluster). */
  failWith?: number;
  /** Resource paths answered with 404, as a server that does not serve them. */
  notServed?: string[];
}

const PATHS: Record<string, string> = {
  "/api/v1/pods": "pods",
  "/apis/apps/v1/deployments": "deployments",
  "/apis/apps/v1/statefulsets": "statefulsets",
  "/apis/apps/v1/daemonsets": "daemonsets",
  "/apis/apps/v1/replicasets": "replicasets",
  "/apis/batch/v1/jobs": "jobs",
  "/apis/batch/v1/cronjobs": "cronjobs",
};

function podSpec(images: string[], init: string[] = []) {
  return { containers: images.map((image, i) => ({ name: `c${i}`, image })), initContainers: init.map((image, i) => ({ name: `i${i}`, image })) };
}

function item(kind: string, w: { ns: string; name: string; images: string[]; init?: string[]; imageIDs?: string[] }) {
  const metadata = { name: w.name, namespace: w.ns };
  if (kind === "pods") {
    return { metadata, spec: podSpec(w.images, w.init), status: { containerStatuses: (w.imageIDs ?? []).map((imageID, i) => ({ name: `c${i}`, image: w.images[i] ?? "", imageID, ready: true, restartCount: 0 })) } };
  }
  const template = { metadata: {}, spec: podSpec(w.images, w.init) };
  if (kind === "cronjobs") return { metadata, spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } };
  return { metadata, spec: { selector: {}, template } };
}

export interface RunningFake {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeKube(cluster: FakeCluster): Promise<RunningFake> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const kind = PATHS[url.pathname];
    res.setHeader("content-type", "application/json");
    if (cluster.failWith || !kind || cluster.notServed?.includes(kind)) {
      res.statusCode = cluster.failWith ?? 404;
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code: res.statusCode }));
      return;
    }
    const all = (kind === "pods" ? cluster.pods : cluster.workloads?.[kind]) ?? [];
    const limit = Number(url.searchParams.get("limit") ?? all.length) || all.length;
    const start = Number(url.searchParams.get("continue") ?? 0);
    const page = all.slice(start, start + limit).map((w) => item(kind, w));
    const next = start + limit < all.length ? String(start + limit) : "";
    res.end(JSON.stringify({ apiVersion: "v1", kind: "List", metadata: { continue: next }, items: page }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** A kubeconfig with one context per (name, server). */
export function kubeconfigFor(clusters: Array<{ name: string; url: string }>): string {
  const lines = ["apiVersion: v1", "kind: Config", "clusters:"];
  for (const c of clusters) lines.push(`- name: ${c.name}`, "  cluster:", `    server: ${c.url}`, "    insecure-skip-tls-verify: true");
  lines.push("users:", "- name: u", "  user:", "    token: fake", "contexts:");
  for (const c of clusters) lines.push(`- name: ${c.name}`, "  context:", `    cluster: ${c.name}`, "    user: u");
  lines.push(`current-context: ${clusters[0]?.name ?? ""}`);
  return `${lines.join("\n")}\n`;
}
