import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import type { StageReport } from "../../../src/build/report.ts";
import { textProgress } from "../../../src/cli/progress.ts";

function sink(gitlab = false) {
  let text = "";
  const stream = new Writable({ write(chunk, _enc, done) { text += chunk.toString(); done(); } }) as unknown as NodeJS.WriteStream;
  return { progress: textProgress({ stream, gitlab, color: false }), text: () => text };
}

const report = (name: string): StageReport => ({ name, digest: "d".repeat(64), status: "built", seconds: 1.5, bytesPulled: 0, bytesPushed: 0, reason: "new" });

describe("human progress", () => {
  test("one stage's output is indented beneath its start line, with no header", () => {
    const { progress, text } = sink();
    progress.stageStarted("web", "install", "d".repeat(64), "new");
    progress.commandOutput("web", "install", Buffer.from("one\ntw"));
    progress.commandOutput("web", "install", Buffer.from("o\n"));
    progress.stageFinished("web", report("install"));
    expect(text()).toBe(`[web] install dddddddddddd building (new)\n  │ one\n  │ two\n[web] install dddddddddddd built 1.50s\n`);
  });

  test("output of stages running at once: an open line is ended, and each switch names the stage", () => {
    const { progress, text } = sink();
    progress.stageStarted("a", "install", "d".repeat(64), null);
    progress.stageStarted("b", "install", "d".repeat(64), null);
    progress.commandOutput("a", "install", Buffer.from("a1\na2 half"));
    progress.commandOutput("b", "install", Buffer.from("b1\n"));
    progress.commandOutput("a", "install", Buffer.from(" rest\n"));
    progress.commandOutput("a", "install", Buffer.from([0xe2, 0x94]));
    progress.commandOutput("a", "install", Buffer.from([0x82, 0x0a]));
    expect(text().split("\n")).toEqual([
      "[a] install dddddddddddd building", "[b] install dddddddddddd building",
      "[a] install:", "  │ a1", "  │ a2 half",
      "[b] install:", "  │ b1",
      "[a] install:", "  │  rest", "  │ │", "",
    ]);
  });

  test("GitLab sections never interleave: a stage that starts while another's section is open gets none", () => {
    const { progress, text } = sink(true);
    progress.stageStarted("a", "install", "d".repeat(64), "new");
    progress.stageStarted("b", "install", "d".repeat(64), "new");
    progress.stageFinished("a", report("install"));
    progress.stageFinished("b", report("install"));
    progress.stageStarted("b", "setup", "d".repeat(64), "new");
    progress.stageFinished("b", report("setup"));
    const markers = [...text().matchAll(/section_(start|end):\d+:(\w+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(markers).toEqual(["start slipway_a_install", "end slipway_a_install", "start slipway_b_setup", "end slipway_b_setup"]);
  });
});
