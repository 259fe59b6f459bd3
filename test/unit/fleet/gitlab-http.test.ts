import { expect, it } from "vitest";
import { createGitLabClient } from "../../../src/gitlab/http.ts";
import { GitLabApiError } from "../../../src/gitlab/types.ts";
import { apiJob, startGitLabFake } from "./support/gitlab-server.ts";

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

it("raises GitLabApiError with the status for a bad token", async () => {
  await using gl = await startGitLabFake();
  const api = createGitLabClient({ url: gl.url, token: "wrong" });
  const err = await api.getJob(380, 1977).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GitLabApiError);
  expect((err as GitLabApiError).status).toBe(401);
  expect((err as GitLabApiError).retryable).toBe(false);
});
