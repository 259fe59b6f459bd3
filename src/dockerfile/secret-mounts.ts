/**
 * RUN --mount=type=secret and type=ssh with BuildKit's keys and defaults
 * (dockerfile2llb convert_runmount.go, llb exec ssh): a secret is a file at
 * /run/secrets/<id> (or `target`), mode 0400 root, and/or an environment variable
 * (`env=`); an ssh mount is the agent at /run/buildkit/ssh_agent.<n> (or `target`),
 * mode 0600 root, and the run's SSH_AUTH_SOCK names the first. BuildKit skips a
 * missing secret unless `required`; slipway stops with an error naming the id unless
 * the mount says `required=false` (an unknown id is more often a typo than a wish).
 */
import { posix } from "node:path";
import type { RunBind } from "../engine/types.ts";
import { secretBind, sshBind } from "../build/secrets/binds.ts";
import type { SecretValue } from "../build/secrets/values.ts";
import { secretIdProblem } from "../config/secret-id.ts";
import { MountError } from "./mounts.ts";

interface Owner {
  mode: number;
  uid: number;
  gid: number;
}

/** `required` is undefined when the mount does not say. */
export type SecretMount = { type: "secret"; id: string; target?: string; env?: string; required?: boolean } & Owner;
/** `target` is "" until its place among the run's ssh mounts gives the default. */
export type SshMount = { type: "ssh"; id: string; target: string; required?: boolean } & Owner;

const SECRET_KEYS = ["type", "id", "target", "dst", "destination", "required", "mode", "uid", "gid", "env"];
const SSH_KEYS = ["type", "id", "target", "dst", "destination", "required", "mode", "uid", "gid"];

function checkKeys(fields: Map<string, string>, type: string, allowed: string[]): void {
  const unknown = [...fields.keys()].find((k) => !allowed.includes(k));
  if (unknown) throw new MountError(`RUN --mount=type=${type}: ${unknown} is not supported`);
}

function owner(fields: Map<string, string>, type: string, mode: number): Owner {
  const number = (key: string, fallback: number, radix: number) => {
    const text = fields.get(key);
    if (text === undefined) return fallback;
    if (!(radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/).test(text)) throw new MountError(`RUN --mount=type=${type}: invalid ${key} ${JSON.stringify(text)}`);
    return parseInt(text, radix);
  };
  return { mode: number("mode", mode, 8), uid: number("uid", 0, 10), gid: number("gid", 0, 10) };
}

function required(fields: Map<string, string>, type: string): boolean | undefined {
  const text = fields.get("required");
  if (text === undefined) return undefined;
  if (!["", "true", "false"].includes(text.toLowerCase())) throw new MountError(`RUN --mount=type=${type}: required must be true or false`);
  return text.toLowerCase() !== "false";
}

function target(fields: Map<string, string>, type: string): string | undefined {
  const at = fields.get("target") ?? fields.get("dst") ?? fields.get("destination");
  if (at === undefined || at === "") return undefined;
  if (!at.startsWith("/")) throw new MountError(`RUN --mount=type=${type}: target ${at} must be an absolute path`);
  return posix.normalize(at);
}

export function secretMount(fields: Map<string, string>): SecretMount {
  checkKeys(fields, "secret", SECRET_KEYS);
  const at = target(fields, "secret");
  const id = fields.get("id") || (at ? posix.basename(at) : undefined);
  if (!id) throw new MountError("RUN --mount=type=secret: one of id or target is required");
  const problem = secretIdProblem(id);
  if (problem) throw new MountError(`RUN --mount=type=secret: ${problem}`);
  const env = fields.get("env") || undefined;
  if (env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) throw new MountError(`RUN --mount=type=secret: invalid env ${JSON.stringify(env)}`);
  // With env= alone there is no file (BuildKit); otherwise the file is at /run/secrets/<id> by default.
  const file = at ?? (env === undefined ? `/run/secrets/${id}` : undefined);
  return { type: "secret", id, ...(file ? { target: file } : {}), ...(env ? { env } : {}), required: required(fields, "secret"), ...owner(fields, "secret", 0o400) };
}

export function sshMount(fields: Map<string, string>): SshMount {
  checkKeys(fields, "ssh", SSH_KEYS);
  return { type: "ssh", id: fields.get("id") || "default", target: target(fields, "ssh") ?? "", required: required(fields, "ssh"), ...owner(fields, "ssh", 0o600) };
}

/** What the mount adds to the RUN's digest: where it is and how it is owned, never the value. */
export function secretMountInput(m: SecretMount | SshMount): string {
  const place = m.type === "secret" ? `${m.target ?? "-"} env=${m.env ?? "-"}` : m.target;
  return `${m.type} ${m.id} ${place} ${m.mode.toString(8)} ${m.uid}:${m.gid}`;
}

/** Thrown when a mount's secret or agent is not there; the caller adds the Dockerfile line. */
export class MissingSecret extends Error {}

/**
 * The binds and variables of a run's secret and ssh mounts. ssh mounts without a target
 * get BuildKit's /run/buildkit/ssh_agent.<n>.
 */
export function secretRunParts(
  mounts: (SecretMount | SshMount)[], secrets: ReadonlyMap<string, SecretValue> | undefined, sshSocket: string | undefined,
): { binds: () => RunBind[]; env: () => string[]; rotating: SecretValue[] } {
  const present: { mount: SecretMount | SshMount; value?: SecretValue }[] = [];
  let sshIndex = 0;
  for (const mount of mounts) {
    if (mount.type === "ssh") {
      const placed = { ...mount, target: mount.target || `/run/buildkit/ssh_agent.${sshIndex}` };
      sshIndex++;
      if (mount.id !== "default") throw new MissingSecret(`RUN --mount=type=ssh,id=${mount.id}: only the default agent is forwarded (--ssh default)`);
      if (!sshSocket) {
        if (mount.required === true) throw new MissingSecret("RUN --mount=type=ssh,required: no ssh agent is forwarded (give --ssh default)");
        continue;
      }
      present.push({ mount: placed });
      continue;
    }
    const value = secrets?.get(mount.id);
    if (!value) {
      if (mount.required === false) continue;
      throw new MissingSecret(`RUN --mount=type=secret,id=${mount.id}: no secret "${mount.id}" is given (secrets: of the image, or --secret id=${mount.id},src=FILE|env=VAR)`);
    }
    present.push({ mount, value });
  }
  const firstSsh = present.find((p) => p.mount.type === "ssh")?.mount.target;
  return {
    binds: () => present.flatMap(({ mount, value }) => {
      if (mount.type === "ssh") return [sshBind(sshSocket as string, mount.target, mount)];
      return mount.target && value ? [secretBind(value.value, mount.target, mount)] : [];
    }),
    env: () => [
      ...present.flatMap(({ mount, value }) => (mount.type === "secret" && mount.env && value ? [`${mount.env}=${value.value.toString("utf8")}`] : [])),
      ...(firstSsh ? [`SSH_AUTH_SOCK=${firstSsh}`] : []),
    ],
    rotating: present.flatMap((p) => (p.value?.rebuildOnChange ? [p.value] : [])),
  };
}
