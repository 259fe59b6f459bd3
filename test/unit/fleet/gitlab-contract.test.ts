import { describe, expect, it } from "vitest";
import { createGitLabClient } from "../../../src/gitlab/http.ts";
import type { GitLabApi } from "../../../src/gitlab/types.ts";
import { fakeGitLab, job } from "../functions/support/fakes.ts";
import { apiJob, startGitLabFake } from "./support/gitlab-server.ts";

interface GitLabUnderTest extends AsyncDisposable {
  api: GitLabApi;
}

/** Both GitLab implementations the tests rely on must agree: the in-memory fake and the HTTP client. */
function gitlabContract(name: string, make: (jobs: Array<{ id: number; status: string; tags: string[] }>) => Promise<GitLabUnderTest>) {
  describe(`GitLab port contract: ${name}`, () => {
    it("reads jobs with their status and tags; an unknown job is undefined", async () => {
      await using g = await make([{ id: 1, status: "pending", tags: ["slipway"] }, { id: 2, status: "running", tags: [] }]);
      expect(await g.api.getJob(380, 1)).toMatchObject({ id: 1, projectId: 380, status: "pending", tags: ["slipway"] });
      expect(await g.api.getJob(380, 99)).toBeUndefined();
      expect((await g.api.listPendingJobs(380)).map((j) => j.id)).toEqual([1]);
    });

    it("creates, lists and deletes runners by id; deleting twice succeeds", async () => {
      await using g = await make([]);
      const r = await g.api.createRunner({ projectId: 380, tags: ["slipway"], description: "slipway-job-1@1" });
      expect(r.token).toMatch(/\S/);
      expect(await g.api.listRunners()).toEqual([{ id: r.id, description: "slipway-job-1@1" }]);
      await g.api.deleteRunner(r.id);
      await g.api.deleteRunner(r.id);
      expect(await g.api.listRunners()).toEqual([]);
    });
  });
}

gitlabContract("in-memory fake", async (jobs) => ({
  api: fakeGitLab(jobs.map((j) => job(j))).api,
  [Symbol.asyncDispose]: async () => undefined,
}));

gitlabContract("HTTP client against the local GitLab fake", async (jobs) => {
  const server = await startGitLabFake();
  for (const j of jobs) server.setJob(380, apiJob({ id: j.id, status: j.status, tag_list: j.tags }));
  return { api: createGitLabClient({ url: server.url, token: server.token }), [Symbol.asyncDispose]: server.close };
});
