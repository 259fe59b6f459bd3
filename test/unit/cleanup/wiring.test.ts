import { describe, expect, it } from "vitest";
import { gitRefSource, kubeSource, parseRepo } from "../../../src/cleanup/wiring.ts";
import { UsageError } from "../../../src/errors.ts";
import { scratchDir } from "../../support/services.ts";

const flags = { dir: "." };
const gitlabEnv = { CI_API_V4_URL: "https://gitlab.test/api/v4", CI_PROJECT_ID: "7" };

describe("cleanup wiring (flags and environment, read at the edge)", () => {
  it("parses REPO as host and repository", () => {
    expect(parseRepo("127.0.0.1:5000/shop")).toEqual({ host: "127.0.0.1:5000", repository: "shop" });
    expect(parseRepo("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app")).toEqual({ host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", repository: "team/app" });
    for (const bad of ["shop", "registry.test/shop:main", "registry.test/Shop"]) expect(() => parseRepo(bad)).toThrow(UsageError);
  });

  it("chooses the git ref source: GitLab when configured with a token, else the checkout", () => {
    expect(gitRefSource(flags, "/p", {}).description).toBe("git checkout /p");
    expect(gitRefSource(flags, "/p", gitlabEnv).description).toBe("git checkout /p");
    expect(gitRefSource(flags, "/p", { ...gitlabEnv, SLIPWAY_GITLAB_TOKEN: "t" }).description).toBe("GitLab project 7");
    expect(gitRefSource({ ...flags, gitRefs: "gitlab" }, "/p", { ...gitlabEnv, CI_JOB_TOKEN: "j" }).description).toBe("GitLab project 7");
    expect(gitRefSource({ ...flags, gitRefs: "local" }, "/p", { ...gitlabEnv, SLIPWAY_GITLAB_TOKEN: "t" }).description).toBe("git checkout /p");
    expect(() => gitRefSource({ ...flags, gitRefs: "gitlab" }, "/p", {})).toThrow(/CI_API_V4_URL/);
    expect(() => gitRefSource({ ...flags, gitRefs: "svn" }, "/p", {})).toThrow(UsageError);
  });

  it("never skips Kubernetes silently: no kubeconfig at all is a warning, a named one must be read", async () => {
    const home = await scratchDir();
    expect(kubeSource(flags, { HOME: home })).toEqual({ warning: expect.stringContaining("were not checked") });
    expect(() => kubeSource({ ...flags, kubeContext: ["prod"] }, { HOME: home })).toThrow(UsageError);
    expect(kubeSource({ ...flags, kube: false }, { HOME: home })).toEqual({});
    expect(kubeSource(flags, { HOME: home, KUBECONFIG: "/x" }).source).toBeDefined();
    expect(kubeSource(flags, { HOME: home, KUBERNETES_SERVICE_HOST: "10.0.0.1" }).source).toBeDefined();
    expect(kubeSource({ ...flags, kubeconfig: "/k" }, { HOME: home }).source).toBeDefined();
  });
});
