/**
 * Here-documents as the Dockerfile reference documents them ("Here-Documents") and
 * BuildKit runs them: checked here against that behaviour, because the engine's
 * BuildKit (Docker 20.10, no dockerfile:1.4 frontend without Docker Hub) cannot build them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { planProject } from "../../../src/build/plan.ts";
import { readContext } from "../../../src/dockerfile/context.ts";
import { contextEntries } from "../../../src/dockerfile/copy.ts";
import { parseDockerfile } from "../../../src/dockerfile/parse.ts";
import { loadDockerfileProject } from "../../../src/dockerfile/project.ts";
import { resolveDockerfile } from "../../../src/dockerfile/resolve.ts";
import type { Op } from "../../../src/dockerfile/types.ts";
import type { Engine } from "../../../src/engine/types.ts";
import { ConfigError } from "../../../src/errors.ts";
import { scratchDir } from "../../support/services.ts";

function ops(text: string, buildArgs: Record<string, string> = {}): Op[] {
  return resolveDockerfile(parseDockerfile(text, "Dockerfile"), { buildArgs, network: false }).steps.map((s) => s.op);
}

function lastOp<K extends Op["op"]>(text: string, kind: K, buildArgs: Record<string, string> = {}): Extract<Op, { op: K }> {
  const op = ops(text, buildArgs).at(-1) as Op;
  expect(op.op).toBe(kind);
  return op as Extract<Op, { op: K }>;
}

function refused(text: string): ConfigError {
  try {
    ops(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("RUN heredocs", () => {
  test("a command line that is one heredoc runs its content through the SHELL", () => {
    const run = lastOp("FROM a\nRUN <<EOF\napk add git\necho done > /x\nEOF\n", "run");
    expect(run.argv).toEqual(["/bin/sh", "-c", "apk add git\necho done > /x\n"]);
    expect(run.script).toBeUndefined();
    const shell = lastOp('FROM a\nSHELL ["/bin/bash", "-ec"]\nRUN <<EOF\nset -o pipefail\nEOF\n', "run");
    expect(shell.argv).toEqual(["/bin/bash", "-ec", "set -o pipefail\n"]);
  });

  test("<<- strips leading tabs; a quoted name runs the same content (the shell expands it at run time)", () => {
    expect(lastOp("FROM a\nRUN <<-EOF\n\techo a\n\t\techo b\n\tEOF\n", "run").argv[2]).toBe("echo a\necho b\n");
    expect(lastOp('FROM a\nARG X=1\nRUN <<"EOF"\necho $X\nEOF\n', "run").argv[2]).toBe("echo $X\n");
  });

  test("a heredoc starting with #! is a 0755 file under /dev/pipes run by the SHELL, its content an input", () => {
    const run = lastOp("FROM a\nRUN <<EOT\n#!/usr/bin/env python3\nprint('hi')\nEOT\n", "run");
    expect(run.argv).toEqual(["/bin/sh", "-c", "/dev/pipes/EOT"]);
    expect(run.script).toEqual({ name: "EOT", content: "#!/usr/bin/env python3\nprint('hi')\n" });
  });

  test("any other command line goes to the SHELL with every document appended after it", () => {
    expect(lastOp("FROM a\nRUN python3 <<EOF\nprint(1)\nEOF\n", "run").argv[2]).toBe("python3 <<EOF\nprint(1)\nEOF");
    const two = lastOp("FROM a\nRUN cat <<A > /a && cat <<-'B' > /b\none\nA\n\ttwo $HOME\n\tB\n", "run");
    expect(two.argv[2]).toBe("cat <<A > /a && cat <<-'B' > /b\none\nA\n\ttwo $HOME\nB");
  });

  test("a heredoc with no closing delimiter, or on an instruction other than RUN/COPY/ADD, is refused", () => {
    const open = refused("FROM a\nRUN <<EOF\necho hi\n");
    expect([open.line, open.detail]).toEqual([2, "RUN: heredoc EOF has no closing delimiter"]);
    const cmd = refused("FROM a\nCMD <<EOF\necho hi\nEOF\n");
    expect([cmd.line, cmd.detail]).toEqual([2, "CMD: heredocs (<<EOF) are not supported"]);
  });
});

describe("COPY heredocs", () => {
  test("COPY <<EOF /path makes a file; variables of ARG and ENV expand unless the name is quoted", () => {
    const text = "FROM a\nARG FOO=bar\nENV HOME=/root\nCOPY <<EOF /script.sh\necho \"hello ${FOO}\" $HOME \\$X\nEOF\n";
    const copy = lastOp(text, "copy");
    expect([copy.sources, copy.dest]).toEqual([[], "/script.sh"]);
    expect(copy.inline).toEqual([{ name: "EOF", content: 'echo "hello bar" /root $X\n' }]);
    expect(lastOp(text, "copy", { FOO: "baz" }).inline?.[0].content).toBe('echo "hello baz" /root $X\n');
    const quoted = lastOp("FROM a\nARG FOO=bar\nCOPY <<-\"EOT\" /script.sh\n\techo \"hello ${FOO}\"\nEOT\n", "copy");
    expect(quoted.inline).toEqual([{ name: "EOT", content: 'echo "hello ${FOO}"\n' }]);
    expect(lastOp("FROM a\nADD <<EOF /etc/x\nadded\nEOF\n", "copy").inline).toEqual([{ name: "EOF", content: "added\n" }]);
  });

  test("several heredocs (and context files) go into a directory destination, named by the heredoc", () => {
    const copy = lastOp("FROM a\nCOPY <<A <<B keep.txt /dir/\naaa\nA\nbbb\nB\n", "copy");
    expect(copy.sources).toEqual(["keep.txt"]);
    expect(copy.inline).toEqual([{ name: "A", content: "aaa\n" }, { name: "B", content: "bbb\n" }]);
    expect(refused("FROM a\nCOPY <<A <<B /file\naaa\nA\nbbb\nB\n").detail).toMatch(/must be a directory and end with a \//);
    expect(refused("FROM a\nCOPY x <<A\naaa\nA\n").detail).toBe("COPY cannot take a heredoc as its destination");
  });

  test("the layer: a 0644 file owned by root (or --chmod, --chown), at the destination or in it", async () => {
    const ctx = await readContext(await scratchDir("slipway-heredoc-"));
    const owners = async () => ({ uid: 7, gid: 8 });
    const one = await contextEntries(ctx, [], { dest: "/etc/motd" }, owners, {}, undefined, [{ name: "EOF", content: "hi\n" }]);
    expect(one).toEqual([{ type: "file", path: "/etc/motd", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("hi\n") }]);
    const into = await contextEntries(ctx, [], { dest: "bin/", chmod: 0o755, chown: "app" }, owners, { WorkingDir: "/app" }, async () => ({ type: "directory", mode: 0o755, uid: 0, gid: 0 }), [{ name: "run.sh", content: "x" }]);
    expect(into).toEqual([{ type: "file", path: "/app/bin/run.sh", mode: 0o755, uid: 7, gid: 8, content: Buffer.from("x") }]);
  });

  test("the content is a digest input: a changed document rebuilds from that COPY, the rest stays", async () => {
    async function digests(body: string): Promise<string[]> {
      const dir = await scratchDir("slipway-heredoc-");
      await mkdir(dirname(join(dir, "Dockerfile")), { recursive: true });
      await writeFile(join(dir, "Dockerfile"), `FROM base\nRUN <<EOF\ntrue\nEOF\nCOPY <<EOF /a.txt\n${body}\nEOF\n`);
      const config = await loadDockerfileProject({ dir, buildArgs: {}, network: false });
      const plan = await planProject(config, [], { engine: {} as Engine, buildDir: "/tmp", resolveBase: async () => `sha256:${"1".repeat(64)}` });
      return plan.images[0].stages.map((s) => s.digest);
    }
    const a = await digests("one");
    expect(await digests("one")).toEqual(a);
    const b = await digests("two");
    expect(b.slice(0, 2)).toEqual(a.slice(0, 2));
    expect(b[2]).not.toBe(a[2]);
  });
});
