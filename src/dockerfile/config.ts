/**
 * Config-only instructions applied to an image config as Docker applies them. They
 * are expanded here, at apply time, because the parent's Env (the base image's
 * included) is only known then: `ENV PATH=/x:$PATH` extends the base image's PATH.
 */
import { posix } from "node:path";
import type { RuntimeConfig } from "../image/index.ts";
import { durationNs } from "../util/duration.ts";
import { expandWord, expandWords, lookupIn } from "./expand.ts";
import { badPortSpec, dockerfileError, execForm, type Instruction } from "./parse.ts";
import { keyValues } from "./steps.ts";

export function envMap(config: RuntimeConfig): Map<string, string> {
  return new Map((config.Env ?? []).map((e) => {
    const eq = e.indexOf("=");
    return eq < 0 ? [e, ""] : [e.slice(0, eq), e.slice(eq + 1)];
  }));
}

/** As Docker does: a variable already set keeps its place, a new one goes last. */
function setEnv(config: RuntimeConfig, key: string, value: string): void {
  const env = config.Env ?? [];
  const at = env.findIndex((e) => e.split("=")[0] === key);
  config.Env = at < 0 ? [...env, `${key}=${value}`] : env.map((e, i) => (i === at ? `${key}=${value}` : e));
}

/** Shell form `CMD echo hi` runs through the current SHELL, exec form as written. */
function command(ins: Instruction, config: RuntimeConfig): string[] {
  return ins.json ?? [...(config.Shell ?? ["/bin/sh", "-c"]), ins.args];
}

function healthcheck(ins: Instruction, file: string): RuntimeConfig["Healthcheck"] {
  const words = ins.args.trim();
  if (/^none$/i.test(words)) return { Test: ["NONE"] };
  const cmd = /^cmd\s+/i.exec(words);
  if (!cmd) throw dockerfileError(file, ins.line, "HEALTHCHECK takes CMD <command> or NONE");
  const rest = words.slice(cmd[0].length);
  const exec = execForm(rest); // not a JSON array of strings: shell form, as in Docker
  const out: NonNullable<RuntimeConfig["Healthcheck"]> = { Test: exec ? ["CMD", ...exec] : ["CMD-SHELL", rest] };
  const flag = (name: string) => ins.flags.get(name) ?? undefined;
  const interval = durationNs(flag("interval"));
  const timeout = durationNs(flag("timeout"));
  const start = durationNs(flag("start-period"));
  const startInterval = durationNs(flag("start-interval"));
  if (interval) out.Interval = interval;
  if (timeout) out.Timeout = timeout;
  if (start) out.StartPeriod = start;
  if (startInterval) (out as Record<string, unknown>).StartInterval = startInterval;
  const retries = flag("retries");
  if (retries !== undefined && Number(retries) > 0) out.Retries = Number(retries);
  return out;
}

/** Applies one config instruction; `args` are the build args it can see. */
export function applyInstruction(
  base: RuntimeConfig, ins: Instruction, args: [string, string][], file: string, escape: string, cmdSet = false,
): RuntimeConfig {
  const c: RuntimeConfig = structuredClone(base);
  const lookup = () => lookupIn(envMap(c), new Map(args));
  const word = (w: string) => expandWord(w, lookup(), escape);
  const words = () => (ins.json ? ins.json.map(word) : expandWords(ins.args, lookup(), escape));
  switch (ins.keyword) {
    case "ENV":
      // Each pair sees the ones before it on the same line, as in Docker.
      for (const [k, v] of keyValues(ins, file, (w) => w)) setEnv(c, word(k), word(v));
      break;
    case "LABEL":
      c.Labels = { ...c.Labels, ...Object.fromEntries(keyValues(ins, file, word)) };
      break;
    case "WORKDIR": {
      const dir = word(ins.args.trim());
      c.WorkingDir = posix.normalize(posix.isAbsolute(dir) ? dir : posix.join(c.WorkingDir || "/", dir));
      break;
    }
    case "USER":
      c.User = word(ins.args.trim());
      break;
    case "EXPOSE":
      for (const p of words()) {
        const why = badPortSpec(p);
        if (why) throw dockerfileError(file, ins.line, `EXPOSE: ${why}`);
      }
      c.ExposedPorts = { ...c.ExposedPorts, ...Object.fromEntries(words().map((p) => [p.includes("/") ? p.toLowerCase() : `${p}/tcp`, {}])) };
      break;
    case "VOLUME":
      c.Volumes = { ...c.Volumes, ...Object.fromEntries(words().filter(Boolean).map((v) => [v, {}])) };
      break;
    case "STOPSIGNAL":
      c.StopSignal = word(ins.args.trim());
      break;
    case "CMD":
      c.Cmd = command(ins, c);
      break;
    case "ENTRYPOINT":
      c.Entrypoint = command(ins, c);
      // Docker: ENTRYPOINT resets a CMD not set earlier in this stage (one from the base image).
      if (!cmdSet) delete c.Cmd;
      break;
    case "HEALTHCHECK":
      c.Healthcheck = healthcheck(ins, file);
      break;
    case "SHELL":
      c.Shell = ins.json;
      break;
    case "ONBUILD":
      c.OnBuild = [...(c.OnBuild ?? []), ins.args.trim()];
      break;
    default:
      break; // MAINTAINER: the deprecated author field, not part of the runtime config
  }
  return c;
}
