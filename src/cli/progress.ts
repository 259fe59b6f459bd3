import { StringDecoder } from "node:string_decoder";
import type { ProgressSink } from "../build/builder.ts";
import type { StageReport } from "../build/report.ts";

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** GitLab CI: wrap each stage in a collapsible log section. */
  gitlab: boolean;
  color: boolean;
}

const paint = (on: boolean, code: number) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

function label(image: string): string {
  return image || "(nameless)";
}

/**
 * Human progress on stderr: one line per stage start and end, command output
 * indented beneath. Plain lines (no cursor tricks) so logs stay readable in CI.
 * Stages of independent images run at once: output from another stage than the
 * one written last ends the open line and is headed by its stage's name.
 */
export function textProgress(opts: ProgressOptions): ProgressSink {
  const dim = paint(opts.color, 2);
  const green = paint(opts.color, 32);
  const bold = paint(opts.color, 1);
  const write = (s: string) => opts.stream.write(s);
  const section = (image: string, stage: string) => `slipway_${label(image).replace(/[^a-zA-Z0-9_]/g, "_")}_${stage}`;
  const decoders = new Map<string, StringDecoder>();
  // GitLab nests sections but cannot interleave them: while one stage's section is open,
  // a stage that starts beside it gets none (its lines are headed by its name).
  let sectionOpen: string | undefined;
  // Who wrote last, and whether its last line of output is still open.
  let last: string | undefined;
  let open = false;
  const key = (image: string, stage: string) => `[${label(image)}] ${stage}`;
  const endLine = () => {
    if (open) write("\n");
    open = false;
  };
  const output = (who: string, text: string) => {
    if (text === "") return;
    if (last !== who) {
      endLine();
      write(`${dim(`${who}:`)}\n`);
      last = who;
    }
    write(`${open || text.startsWith("\n") ? "" : "  │ "}${text.replace(/\n(?=.)/g, "\n  │ ")}`);
    open = !text.endsWith("\n");
  };
  return {
    stageStarted(image, stage, digest, reason) {
      endLine();
      last = key(image, stage);
      if (opts.gitlab && sectionOpen === undefined) {
        sectionOpen = key(image, stage);
        write(`\x1b[0Ksection_start:${Math.floor(Date.now() / 1000)}:${section(image, stage)}[collapsed=false]\r\x1b[0K`);
      }
      write(`${bold(`[${label(image)}] ${stage}`)} ${dim(digest.slice(0, 12))} building${reason ? dim(` (${reason})`) : ""}\n`);
    },
    stageFinished(image, report: StageReport) {
      const who = key(image, report.name);
      output(who, decoders.get(who)?.end() ?? "");
      decoders.delete(who);
      endLine();
      last = who;
      const status = report.status === "built" || report.status === "appended" ? green(report.status) : dim(report.status);
      write(`[${label(image)}] ${report.name} ${dim(report.digest.slice(0, 12))} ${status} ${dim(`${report.seconds.toFixed(2)}s`)}\n`);
      if (opts.gitlab && sectionOpen === who) {
        sectionOpen = undefined;
        write(`\x1b[0Ksection_end:${Math.floor(Date.now() / 1000)}:${section(image, report.name)}\r\x1b[0K`);
      }
    },
    commandOutput(image, stage, chunk) {
      const who = key(image, stage);
      let decoder = decoders.get(who);
      if (!decoder) decoders.set(who, (decoder = new StringDecoder("utf8")));
      output(who, decoder.write(chunk));
    },
  };
}
