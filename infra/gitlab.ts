import type { RunnerMode } from "./config.ts";

export interface InstructionsInput {
  webhookUrl: string;
  registryUrl: string;
  mode: RunnerMode;
  runnerTags: string[];
  region: string;
  webhookSecretParameter: string;
  gitlabTokenParameter: string;
  runnerTokenParameter?: string;
}

/** What an operator pastes into GitLab after `pulumi up`: printed as a stack output. */
export function gitlabInstructions(i: InstructionsInput): string {
  const tags = i.runnerTags.join(",");
  const put = (name: string, what: string) => `aws ssm put-parameter --region ${i.region} --overwrite --type SecureString --name ${name} --value '<${what}>'`;
  const runner =
    i.mode === "pool"
      ? [
          `2. Runner (pool mode): Settings > CI/CD > Runners > New project runner, tags: ${tags}, "Run untagged jobs" off.`,
          `   Store its authentication token (glrt-...):`,
          `   ${put(i.runnerTokenParameter ?? "<runner-token parameter>", "glrt-token")}`,
        ]
      : [
          `2. Runner (per-job mode): nothing to register; the launcher creates one runner per job.`,
          `   The GitLab token below needs the api and create_runner scopes.`,
        ];
  return [
    `1. Webhook: Settings > Webhooks > Add new webhook`,
    `   URL:          ${i.webhookUrl}`,
    `   Secret token: pulumi stack output --show-secrets webhookSecret`,
    `   Trigger:      Job events only; SSL verification on.`,
    ...runner,
    `3. GitLab API token (read_api; api for per-job mode), for the launcher, reaper, reconciler and cleanup:`,
    `   ${put(i.gitlabTokenParameter, "gitlab-token")}`,
    `4. CI/CD variables: SLIPWAY_REPO=${i.registryUrl}; jobs that need a build node use tags: [${tags}].`,
  ].join("\n");
}
