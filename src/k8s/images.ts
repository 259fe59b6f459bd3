import type * as k8s from "@kubernetes/client-node";
import { SlipwayError, UsageError } from "../errors.ts";
import type { KubeImageSource, KubeImageUse } from "./types.ts";

export interface KubeImagesOptions {
  /** A kubeconfig file; default: KUBECONFIG / ~/.kube/config, as kubectl does (read at the CLI edge). */
  kubeconfig?: string;
  /** The kubeconfig's text instead of a file (tests, functions). */
  kubeconfigText?: string;
  /** Only these contexts; default: every context of the kubeconfig. */
  contexts?: string[];
  /** Page size of list calls. */
  pageSize?: number;
}

interface PodSpecLike {
  containers?: Array<{ image?: string }>;
  initContainers?: Array<{ image?: string }>;
  ephemeralContainers?: Array<{ image?: string }>;
}
interface Obj {
  metadata?: { name?: string; namespace?: string };
}
type Lister = (api: Apis, page: { limit: number; _continue?: string }) => Promise<{ items: Obj[]; metadata?: { _continue?: string } }>;
interface Apis {
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  batch: k8s.BatchV1Api;
}

/** Each kind: how to list it across namespaces, and where its pod spec(s) live. */
const KINDS: Array<{ kind: string; list: Lister; specs: (o: never) => Array<PodSpecLike | undefined>; statuses?: (o: never) => string[] }> = [
  {
    kind: "Pod",
    list: (a, p) => a.core.listPodForAllNamespaces(p),
    specs: (o: k8s.V1Pod) => [o.spec],
    // What the node actually pulled: the tag may have moved since, the digest has not.
    statuses: (o: k8s.V1Pod) => [...(o.status?.containerStatuses ?? []), ...(o.status?.initContainerStatuses ?? []), ...(o.status?.ephemeralContainerStatuses ?? [])].flatMap((s) => (s.imageID ? [s.imageID] : [])),
  },
  { kind: "Deployment", list: (a, p) => a.apps.listDeploymentForAllNamespaces(p), specs: (o: k8s.V1Deployment) => [o.spec?.template.spec] },
  { kind: "StatefulSet", list: (a, p) => a.apps.listStatefulSetForAllNamespaces(p), specs: (o: k8s.V1StatefulSet) => [o.spec?.template.spec] },
  { kind: "DaemonSet", list: (a, p) => a.apps.listDaemonSetForAllNamespaces(p), specs: (o: k8s.V1DaemonSet) => [o.spec?.template.spec] },
  { kind: "ReplicaSet", list: (a, p) => a.apps.listReplicaSetForAllNamespaces(p), specs: (o: k8s.V1ReplicaSet) => [o.spec?.template?.spec] },
  { kind: "Job", list: (a, p) => a.batch.listJobForAllNamespaces(p), specs: (o: k8s.V1Job) => [o.spec?.template.spec] },
  { kind: "CronJob", list: (a, p) => a.batch.listCronJobForAllNamespaces(p), specs: (o: k8s.V1CronJob) => [o.spec?.jobTemplate.spec?.template.spec] },
];

function specImages(spec: PodSpecLike | undefined): string[] {
  if (!spec) return [];
  return [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].flatMap((c) => (c.image ? [c.image] : []));
}

/** `docker-pullable://repo@sha256:..`, `docker://sha256:..`, `containerd` plain refs -> the reference part. */
export function imageIdRef(imageId: string): string {
  return imageId.replace(/^[a-z-]+:\/\//, "");
}

type ClientNode = typeof import("@kubernetes/client-node");

function loadConfig(lib: ClientNode, opts: KubeImagesOptions): k8s.KubeConfig {
  const kc = new lib.KubeConfig();
  try {
    if (opts.kubeconfigText !== undefined) kc.loadFromString(opts.kubeconfigText);
    else if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new UsageError(`cannot read kubeconfig ${opts.kubeconfig ?? ""}: ${(err as Error).message}`);
  }
  return kc;
}

async function listContext(lib: ClientNode, kc: k8s.KubeConfig, context: string, pageSize: number): Promise<KubeImageUse[]> {
  kc.setCurrentContext(context);
  const apis: Apis = { core: kc.makeApiClient(lib.CoreV1Api), apps: kc.makeApiClient(lib.AppsV1Api), batch: kc.makeApiClient(lib.BatchV1Api) };
  const perKind = await Promise.all(KINDS.map(async (k) => {
    const out: KubeImageUse[] = [];
    let cont: string | undefined;
    do {
      const page = await k.list(apis, { limit: pageSize, ...(cont && { _continue: cont }) }).catch((err: unknown) => {
        // 404 on a cluster-wide workload list: the server does not serve that resource, so it
        // has none. Pods are always served: a 404 there means this is no Kubernetes API.
        if ((err as { code?: number }).code === 404 && k.kind !== "Pod") return undefined;
        throw new SlipwayError(`Kubernetes context ${context}: cannot list ${k.kind}s: ${describeError(err)}`, { cause: err });
      });
      if (!page) break;
      for (const o of page.items) {
        const where = `${context}/${o.metadata?.namespace ?? ""}/${k.kind}/${o.metadata?.name ?? ""}`;
        const images = [...k.specs(o as never).flatMap(specImages), ...(k.statuses?.(o as never).map(imageIdRef) ?? [])];
        for (const image of new Set(images)) out.push({ image, where });
      }
      cont = page.metadata?._continue || undefined;
    } while (cont);
    return out;
  }));
  return perKind.flat();
}

function describeError(err: unknown): string {
  const e = err as { code?: number; message?: string };
  return e.code ? `HTTP ${e.code}` : (e.message ?? String(err)).split("\n")[0];
}

/**
 * Every image in pods and workload templates (Deployments, StatefulSets, DaemonSets,
 * ReplicaSets, Jobs, CronJobs) of every namespace, in every selected context. One
 * unreadable cluster fails the whole listing: cleanup must stop rather than delete
 * what that cluster might run.
 */
export function kubeImages(opts: KubeImagesOptions): KubeImageSource {
  return {
    async list() {
      // Loaded only when a cluster is consulted: the client takes seconds to import.
      const lib = await import("@kubernetes/client-node");
      const kc = loadConfig(lib, opts);
      const known = kc.getContexts().map((c) => c.name);
      const contexts = opts.contexts?.length ? opts.contexts : known;
      const unknown = contexts.filter((c) => !known.includes(c));
      if (unknown.length) throw new UsageError(`kubeconfig has no context ${unknown.join(", ")} (known: ${known.join(", ") || "none"})`);
      if (contexts.length === 0) throw new UsageError("the kubeconfig defines no context; use --no-kube to clean up without Kubernetes");
      const all: KubeImageUse[] = [];
      // One context at a time: setCurrentContext mutates the shared KubeConfig.
      for (const c of contexts) all.push(...(await listContext(lib, kc, c, opts.pageSize ?? 500)));
      return all;
    },
  };
}
