import { afterEach, describe, expect, it } from "vitest";
import { kubeImages } from "../../../src/k8s/index.ts";
import { kubeconfigFor, startFakeKube, type RunningFake } from "./fake-kube.ts";

const fakes: RunningFake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(cluster: Parameters<typeof startFakeKube>[0]) {
  const f = await startFakeKube(cluster);
  fakes.push(f);
  return f;
}

describe("Kubernetes image listing", () => {
  it("finds images in pods (spec and status digests) and every workload kind, across pages and contexts", async () => {
    const prod = await fake({
      pods: [
        { ns: "web", name: "p1", images: ["r/app:main"], imageIDs: ["docker-pullable://r/app@sha256:aaa"] },
        { ns: "web", name: "p2", images: ["r/app:x"] },
        { ns: "web", name: "p3", images: ["r/app:y"] },
      ],
      workloads: {
        deployments: [{ ns: "a", name: "d", images: ["r/d:1"], init: ["r/init:1"] }],
        statefulsets: [{ ns: "a", name: "s", images: ["r/s:1"] }],
        daemonsets: [{ ns: "a", name: "ds", images: ["r/ds:1"] }],
        replicasets: [{ ns: "a", name: "rs", images: ["r/rs:1"] }],
        jobs: [{ ns: "a", name: "j", images: ["r/j:1"] }],
        cronjobs: [{ ns: "b", name: "cj", images: ["r/cj:1"] }],
      },
    });
    const staging = await fake({ pods: [{ ns: "s", name: "q", images: ["r/app:staging"] }] });
    const source = kubeImages({ kubeconfigText: kubeconfigFor([{ name: "prod", url: prod.url }, { name: "staging", url: staging.url }]), pageSize: 2 });
    const uses = await source.list();
    const images = uses.map((u) => u.image).sort();
    expect(images).toEqual(["r/app:main", "r/app:staging", "r/app:x", "r/app:y", "r/app@sha256:aaa", "r/cj:1", "r/d:1", "r/ds:1", "r/init:1", "r/j:1", "r/rs:1", "r/s:1"].sort());
    expect(uses.find((u) => u.image === "r/cj:1")?.where).toBe("prod/b/CronJob/cj");
    expect(prod.requests.filter((r) => r.startsWith("GET /api/v1/pods"))).toEqual(["GET /api/v1/pods?limit=2", "GET /api/v1/pods?continue=2&limit=2"]);
  });

  it("reads only the named contexts", async () => {
    const a = await fake({ pods: [{ ns: "n", name: "p", images: ["r/a:1"] }] });
    const b = await fake({ failWith: 500 });
    const uses = await kubeImages({ kubeconfigText: kubeconfigFor([{ name: "a", url: a.url }, { name: "b", url: b.url }]), contexts: ["a"] }).list();
    expect(uses.map((u) => u.image)).toEqual(["r/a:1"]);
    expect(b.requests).toEqual([]);
  });

  it("fails when any configured cluster cannot be read", async () => {
    const a = await fake({ pods: [] });
    const b = await fake({ failWith: 403 });
    const source = kubeImages({ kubeconfigText: kubeconfigFor([{ name: "a", url: a.url }, { name: "b", url: b.url }]) });
    await expect(source.list()).rejects.toThrow(/context b: cannot list .*HTTP 403/);
  });

  it("takes a resource the server does not serve (404) as none of it", async () => {
    const a = await fake({ pods: [{ ns: "n", name: "p", images: ["r/a:1"] }], notServed: ["cronjobs"] });
    const uses = await kubeImages({ kubeconfigText: kubeconfigFor([{ name: "a", url: a.url }]) }).list();
    expect(uses.map((u) => u.image)).toEqual(["r/a:1"]);
    expect(a.requests.some((r) => r.includes("cronjobs"))).toBe(true);
    const notKube = await fake({ notServed: ["pods"] });
    await expect(kubeImages({ kubeconfigText: kubeconfigFor([{ name: "x", url: notKube.url }]) }).list()).rejects.toThrow(/cannot list Pods: HTTP 404/);
  });

  it("refuses an unknown context", async () => {
    const a = await fake({ pods: [] });
    await expect(kubeImages({ kubeconfigText: kubeconfigFor([{ name: "a", url: a.url }]), contexts: ["nope"] }).list()).rejects.toThrow(/no context nope/);
  });
});
