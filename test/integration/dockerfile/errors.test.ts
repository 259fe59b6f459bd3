import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ErrorDocument } from "../../../src/cli/error-document.ts";
import { slipway } from "../../support/cli.ts";
import { gitProject } from "../../support/project.ts";
import { type BuildWorld, buildWorld } from "../../support/services.ts";
import { contextDir } from "./support.ts";

let world: BuildWorld;
beforeAll(async () => {
  world = await buildWorld();
});

afterAll(() => world?.stop());

async function failing(args: string[]): Promise<{ code: number; doc: ErrorDocument; stderr: string }> {
  const res = await slipway([...args, "--json"], { env: world.env });
  return { code: res.code, doc: JSON.parse(res.stdout) as ErrorDocument, stderr: res.stderr };
}

describe("Dockerfile errors", () => {
  test("a failed RUN names Dockerfile:line in the message and the --json document, with a failed shell stage's exit code", async () => {
    const dir = await contextDir({ Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN echo ok\n\nRUN echo failing && \\\n  exit 3\n` });
    const stapel = await gitProject({ "slipway.yaml": `image: a\nfrom: ${world.base}\nshell:\n  install: exit 3\n` });
    const shell = await failing(["build", "--dir", stapel.dir]);
    for (const args of [["build"], ["bp", `${world.registry.host}/df-fail`, "--tag", "t"]]) {
      const { code, doc, stderr } = await failing([...args, "--dir", dir, "--build-arg", `BASE=${world.base}`]);
      expect(code).toBe(shell.code);
      expect(code).toBe(1);
      expect(doc.error).toMatchObject({ kind: "build", name: "BuildError", exitCode: 1, file: "Dockerfile", line: 5, stage: "RUN#3 echo failing && exit 3" });
      expect(doc.error.problems).toEqual([{ message: doc.error.message, file: "Dockerfile", line: 5, column: null }]);
      expect(stderr).toContain("stage RUN#3 echo failing && exit 3: Dockerfile:5: command failed with exit code 3");
    }
    expect(shell.doc.error).toMatchObject({ kind: "build", file: null, line: null });
  });

  test("a syntax error and an unknown instruction: exit 2, file:line each, also as --json problems", async () => {
    const dir = await contextDir({ Dockerfile: `FROM ${world.base}\nCOPY --frm=x a /a\nENV\nFROBNICATE x\n` });
    for (const cmd of ["plan", "build", "bp"]) {
      const args = cmd === "bp" ? ["bp", `${world.registry.host}/df-bad`, "--tag", "t"] : [cmd];
      const { code, doc, stderr } = await failing([...args, "--dir", dir]);
      expect(code, cmd).toBe(2);
      expect(doc.error).toMatchObject({ kind: "config", exitCode: 2, file: "Dockerfile", line: 2 });
      expect(doc.error.problems.map((p) => [p.file, p.line, p.message])).toEqual([
        ["Dockerfile", 2, "Dockerfile:2: COPY --frm is not supported"],
        ["Dockerfile", 3, "Dockerfile:3: ENV requires at least one argument"],
        ["Dockerfile", 4, "Dockerfile:4: unknown instruction: FROBNICATE"],
      ]);
      expect(stderr).toContain("slipway: Dockerfile:4: unknown instruction: FROBNICATE");
    }
  });
});
