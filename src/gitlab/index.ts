export * from "./types.ts";
export { createGitLabClient, type GitLabHttpOptions } from "./http.ts";
