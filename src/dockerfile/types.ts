/**
 * A Dockerfile resolved for one build (target, build args): the instructions of every
 * build stage the target needs, in build order, with Docker's ARG scoping applied.
 * This is what an image of a project carries (ImageConfig.dockerfile) and what the
 * stage list is made from.
 */
import type { BuildContext, Selected } from "./context.ts";
import type { Mount } from "./mounts.ts";
import type { Instruction } from "./parse.ts";
import type { UrlSource } from "./url.ts";

/** Where a COPY --from takes its files: a build stage (an image named by --from is a stage of its own). */
export type Source = { kind: "stage"; index: number };

export type Op =
  /** FROM an image (pinned at plan time) or `scratch`. */
  | { op: "from-image"; ref: string; platform?: string }
  /** FROM an earlier build stage. */
  | { op: "from-stage"; index: number }
  /** Shell form is already wrapped in the current SHELL. `env` are the build args RUN sees. */
  | { op: "run"; argv: string[]; env: [string, string][]; network: boolean; script?: InlineFile; mounts?: Mount[] }
  /** COPY / ADD; `sources` and `dest` are expanded; `inline` are its heredoc sources (`COPY <<EOF /path`). */
  | {
    op: "copy"; sources: string[]; dest: string; chown?: string; chmod?: number; from?: Source; selected?: Selected[]; inline?: InlineFile[];
    /** ADD's http(s) sources (not in `sources`); `unpack`: ADD --unpack as written. */
    urls?: UrlSource[]; unpack?: boolean;
  }
  /** A config-only instruction, expanded when applied (the parent's Env is known then). */
  | { op: "config"; args: [string, string][]; cmdSet: boolean };

/** A here-document as a file: its name and its content (chomped and expanded as BuildKit does). */
export interface InlineFile {
  name: string;
  content: string;
}

export interface Step {
  /** Build stage the step belongs to. */
  stage: number;
  ins: Instruction;
  /** `RUN#2 cat deps.txt ...`: keyword, instruction number in the file, arguments. */
  label: string;
  op: Op;
}

export interface DockerfileBuild {
  /** Dockerfile as shown in messages. */
  file: string;
  escape: string;
  context: BuildContext;
  /** Every step the target needs; each build stage's steps are contiguous, starting with its FROM. */
  steps: Step[];
  /** Index of the target build stage (the last one built). */
  target: number;
  /** Images to pin by registry digest: FROM images and COPY --from images. */
  baseImages: string[];
}
