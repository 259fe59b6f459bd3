/** Registry cleanup by policy and reachability, and build-node stage cache cleanup. */
export { cleanupRepo, type CleanupRepoOptions } from "./repo-cleanup.ts";
export { cleanupLocalStages, type LocalCleanupOptions } from "./local.ts";
export { ociDeleter, ecrDeleter, ECR_BATCH } from "./delete.ts";
export { policyFromValue, policyFromMetaDoc, compilePattern, DEFAULT_KEEP_POLICIES, DEFAULT_GRACE_MS, type CleanupPolicy } from "./policy.ts";
export { policyOfConfig } from "./config.ts";
export { formatReport, toReport } from "./report.ts";
export { finalRepository, splitRepo } from "./repos.ts";
export { durationOrThrow, parseDuration } from "./duration.ts";
export type { CleanupReport, Decision, TagDeleter, TagEntry, Progress } from "./types.ts";
