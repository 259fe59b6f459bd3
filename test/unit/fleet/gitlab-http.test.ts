import { expect, it } from "vitest";
import { createGitLabClient } from "../../../src/gitlab/http.ts";
import { GitLabError } from "../../../src/errors.ts";
import { apiJob, startGitLabFake } from "./support/gitlab-server.ts";

const fast = { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 };

it("reads a job as a GitLabJob, and undefined when GitLab answers 404", async () => {
  await using gl = await startGitLabFake();
  gl.setJob(380, apiJob());
  const api = createGitLabClient({ url: gl.url, token: gl.token });
  expect(await api.getJob(380, 1977)).toEqual({ id: 1977, projectId: 380, name: "build", status: "pending", tags: ["slipway"], createdAt: "2026-11-27T02:00:00.000Z" });
  expect(await api.getJob(380, 1)).toBeUndefined();
});

it("lists pending jobs with scope[]=pending", async () => {
  await using gl = await startGitLabFake();
  gl.setJob(380, apiJob());
  gl.setJob(380, apiJob({ id: 1978, status: "running", runner: { id: 7 } }));
  const api = createGitLabClient({ url: `${gl.url}/`, token: gl.token });
  expect((await api.listPendingJobs(380)).map((j) => j.id)).toEqual([1977]);
  expect(gl.requests).toContain("GET /api/v4/projects/380/jobs?scope[]=pending&per_page=100");
});

it("creates a project runner for exact tags, lists it, and deletes it (twice is fine)", async () => {
  await using gl = await startGitLabFake();
  const api = createGitLabClient({ url: gl.url, token: gl.token });
  const r = await api.createRunner({ projectId: 380, tags: ["slipway", "slipway-2366"], description: "slipway-job-1977@1" });
  expect(r).toEqual({ id: 12345, token: "glrt-12345" });
  expect(gl.runners.get(12345)).toMatchObject({ runner_type: "project_type", project_id: "380", tag_list: "slipway,slipway-2366", run_untagged: "false" });
  expect(await api.listRunners()).toEqual([{ id: 12345, description: "slipway-job-1977@1" }]);
  await api.deleteRunner(12345);
  await api.deleteRunner(12345);
  expect(gl.runners.size).toBe(0);
});

it("raises GitLabError with the status for a bad token", async () => {
  await using gl = await startGitLabFake();
  const api = createGitLabClient({ url: gl.url, token: "wrong", retry: fast });
  const err = await api.getJob(380, 1977).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GitLabError);
  expect((err as GitLabError).status).toBe(401);
  expect((err as GitLabError).retryable).toBe(false);
});

it("tries a read again on 429 and 5xx, up to five times, and never a 4xx", async () => {
  await using gl = await startGitLabFake();
  gl.setJob(380, apiJob());
  const api = createGitLabClient({ url: gl.url, token: gl.token, retry: fast });
  gl.faults.push(429, 502, 503, 500);
  expect((await api.getJob(380, 1977))?.id).toBe(1977);
  expect(gl.requests.filter((r) => r === "GET /api/v4/projects/380/jobs/1977")).toHaveLength(5);
  gl.faults.push(500, 500, 500, 500, 500);
  const err = await api.listPendingJobs(380).catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 500, retryable: true });
  gl.faults.push(403);
  const before = gl.requests.length;
  await expect(api.listRunners()).rejects.toMatchObject({ status: 403, retryable: false });
  expect(gl.requests.length - before).toBe(1);
});

it("creates a runner again only when GitLab said 429, never after a 5xx (it may exist)", async () => {
  await using gl = await startGitLabFake();
  const api = createGitLabClient({ url: gl.url, token: gl.token, retry: fast });
  gl.faults.push(429);
  expect(await api.createRunner({ projectId: 380, tags: ["slipway"], description: "d" })).toMatchObject({ token: expect.stringMatching(/^glrt-/) });
  gl.faults.push(502);
  await expect(api.createRunner({ projectId: 380, tags: ["slipway"], description: "d" })).rejects.toMatchObject({ status: 502 });
  expect(gl.requests.filter((r) => r === "POST /api/v4/user/runners")).toHaveLength(3);
});

it("a GitLab that cannot be reached is a retryable NETWORK_ERROR", async () => {
  const api = createGitLabClient({ url: "http://127.0.0.1:1", token: "t", retry: { ...fast, attempts: 2 } });
  await expect(api.getJob(1, 1)).rejects.toMatchObject({ name: "GitLabError", code: "NETWORK_ERROR", retryable: true });
});
