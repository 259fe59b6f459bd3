export type { GitRef, GitRefSource } from "./types.ts";
export { localGitRefs, type LocalGitOptions } from "./local.ts";
export { gitLabRefs, type GitLabRefsOptions } from "./gitlab.ts";
export { slugTag } from "../build/remote/tags.ts";
export { missingCommits } from "./commits.ts";
