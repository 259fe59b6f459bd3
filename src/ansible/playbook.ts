/**
 * What an ansible stage runs: the playbook werf generates for a user stage (one play,
 * hosts: all, gather_facts: no, the stage's tasks), an inventory of localhost over the
 * local connection with the toolchain's interpreter, and an ansible.cfg that keeps
 * Ansible's own files (temp dirs, its home) in a mount outside the image.
 */
import type { AnsibleTask, SourceLocation } from "../config/types.ts";
import { moduleKeys } from "./modules.ts";
import { TOOLCHAIN_MOUNT } from "./toolchain.ts";

/** The work directory (playbook, inventory, config; read-only) and Ansible's scratch space. */
export const WORK_MOUNT = "/dev/.slipway/ansible-work";
export const TMP_MOUNT = "/dev/.slipway/ansible-tmp";

/** JSON with every map's keys sorted: the same tasks give the same digest input, however they were written. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, sortKeys(obj[k])]));
  }
  return value;
}

/** `copy (werf.yaml:12)`: the task's name in the log, so a failure points at the config. */
export function taskLabel(task: Record<string, unknown>, location: SourceLocation, within = false): string {
  const name = typeof task.name === "string" && task.name !== "" ? task.name : (moduleKeys(task)[0] ?? "block");
  return `${name} (${within ? "in the block at " : ""}${location.file}:${location.line})`;
}

function named(task: Record<string, unknown>, location: SourceLocation, within: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...task, name: taskLabel(task, location, within) };
  for (const key of ["block", "rescue", "always"]) {
    if (Array.isArray(task[key])) out[key] = (task[key] as Record<string, unknown>[]).map((t) => named(t, location, true));
  }
  return out;
}

/** The playbook as JSON (a YAML document Ansible reads as it is). */
export function playbook(tasks: AnsibleTask[]): string {
  return JSON.stringify([{ hosts: "all", gather_facts: "no", tasks: tasks.map((t) => named(t.task, t.location, false)) }], null, 1);
}

export function inventory(): string {
  return `localhost ansible_connection=local ansible_python_interpreter=${TOOLCHAIN_MOUNT}/bin/python3\n`;
}

export function ansibleCfg(): string {
  return [
    "[defaults]",
    `inventory = ${WORK_MOUNT}/hosts`,
    "transport = local",
    "retry_files_enabled = False",
    "nocolor = True",
    "deprecation_warnings = False",
    "interpreter_python = " + `${TOOLCHAIN_MOUNT}/bin/python3`,
    `home = ${TMP_MOUNT}/home`,
    `local_tmp = ${TMP_MOUNT}/local`,
    `remote_tmp = ${TMP_MOUNT}/remote`,
    "",
  ].join("\n");
}

/**
 * The failed task of a run, from the default callback's output: the last `TASK [...]`
 * header before the first `fatal:`/`failed:` line (ignored failures print `...ignoring`).
 */
export function failedTask(output: string): string | undefined {
  return failure(output)?.task;
}

/**
 * The failed task and the module's `msg` (its JSON after `=>`), e.g. the pip module's
 * "Unable to find any of pip3, pip to use. pip needs to be installed." in an image without pip.
 */
export function failure(output: string): { task: string; message?: string } | undefined {
  const lines = output.split(/\r?\n/);
  let current: string | undefined;
  for (const [i, line] of lines.entries()) {
    const header = /^TASK \[(.*)\] \**$/.exec(line);
    if (header) current = header[1];
    else if (/^(fatal|failed): \[/.test(line) && current !== undefined) {
      if (/^\.\.\.ignoring/.test(lines[i + 1] ?? "")) continue;
      return { task: current, ...messageOf(line) };
    }
  }
  return undefined;
}

function messageOf(line: string): { message?: string } {
  const json = line.slice(line.indexOf("=> ") + 3);
  try {
    const msg = (JSON.parse(json) as { msg?: unknown }).msg;
    if (typeof msg !== "string" || msg.trim() === "") return {};
    const one = msg.replace(/\s+/g, " ").trim();
    return { message: one.length > 400 ? `${one.slice(0, 400)}…` : one };
  } catch {
    return {};
  }
}
