import type { FakeJob } from "./fake-gitlab.ts";

/** The project the demo pretends to be, as GitLab would describe it. */
export interface DemoProject {
  id: number;
  path: string;
  defaultBranch: string;
  pipelineId: number;
}

const utc = (d: Date) => d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");

/**
 * A Job Hook ("Job events") payload for a job that has just become pending: what GitLab
 * POSTs to the webhook, with the fields the gitlab-webhook function reads and the usual rest.
 */
export function jobHookPayload(job: FakeJob, project: DemoProject, at: Date): Record<string, unknown> {
  const projectJson = {
    id: project.id,
    name: project.path.split("/").pop(),
    path_with_namespace: project.path,
    default_branch: project.defaultBranch,
    web_url: `http://gitlab.invalid/${project.path}`,
    git_http_url: `http://gitlab.invalid/${project.path}.git`,
  };
  return {
    object_kind: "build",
    ref: job.ref,
    tag: false,
    before_sha: "0000000000000000000000000000000000000000",
    sha: job.sha,
    retries_count: 0,
    build_id: job.id,
    build_name: job.name,
    build_stage: job.stage,
    build_status: "pending",
    build_created_at: utc(at),
    build_started_at: null,
    build_finished_at: null,
    build_duration: null,
    build_allow_failure: false,
    build_failure_reason: "unknown_failure",
    pipeline_id: project.pipelineId,
    runner: null,
    project_id: project.id,
    project_name: projectJson.name,
    user: { id: 1, name: "slipway demo", username: "demo" },
    commit: { id: project.pipelineId, sha: job.sha, message: "", status: "pending" },
    repository: { name: projectJson.name, homepage: projectJson.web_url, git_http_url: projectJson.git_http_url },
    project: projectJson,
    environment: null,
    tag_list: job.tags,
  };
}
