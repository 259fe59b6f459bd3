import type { DockerInstructions, HealthcheckConfig } from "../../config/types.ts";
import type { RuntimeConfig } from "../../image/index.ts";
import type { Stage, StageContext } from "../stage.ts";
import { durationNs } from "../../util/duration.ts";

function healthcheck(h: HealthcheckConfig): NonNullable<RuntimeConfig["Healthcheck"]> {
  const out: NonNullable<RuntimeConfig["Healthcheck"]> = { Test: h.test };
  const interval = durationNs(h.interval);
  const timeout = durationNs(h.timeout);
  const start = durationNs(h.startPeriod);
  if (interval !== undefined) out.Interval = interval;
  if (timeout !== undefined) out.Timeout = timeout;
  if (start !== undefined) out.StartPeriod = start;
  if (h.retries !== undefined) out.Retries = h.retries;
  return out;
}

/** Applies docker instructions to a config with Dockerfile semantics. */
export function applyDockerInstructions(base: RuntimeConfig, d: DockerInstructions): RuntimeConfig {
  const c: RuntimeConfig = structuredClone(base);
  if (d.user !== undefined) c.User = d.user;
  if (d.workdir !== undefined) c.WorkingDir = d.workdir;
  if (d.volume.length > 0) c.Volumes = { ...c.Volumes, ...Object.fromEntries(d.volume.map((v) => [v, {}])) };
  const envKeys = Object.keys(d.env);
  if (envKeys.length > 0) {
    const kept = (c.Env ?? []).filter((e) => !envKeys.includes(e.split("=")[0]));
    c.Env = [...kept, ...envKeys.map((k) => `${k}=${d.env[k]}`)];
  }
  if (Object.keys(d.label).length > 0) c.Labels = { ...c.Labels, ...d.label };
  if (d.expose.length > 0) {
    const ports = d.expose.map((p) => (p.includes("/") ? p : `${p}/tcp`));
    c.ExposedPorts = { ...c.ExposedPorts, ...Object.fromEntries(ports.map((p) => [p, {}])) };
  }
  if (d.entrypoint !== undefined) {
    c.Entrypoint = d.entrypoint;
    // As in a Dockerfile: a new ENTRYPOINT resets an inherited CMD unless CMD is also given.
    if (d.cmd === undefined) delete c.Cmd;
  }
  if (d.cmd !== undefined) c.Cmd = d.cmd;
  if (d.healthcheck !== undefined) c.Healthcheck = healthcheck(d.healthcheck);
  return c;
}

function isEmptyInstructions(d: DockerInstructions): boolean {
  return (
    d.user === undefined && d.workdir === undefined && d.volume.length === 0 && Object.keys(d.env).length === 0 &&
    Object.keys(d.label).length === 0 && d.expose.length === 0 && d.entrypoint === undefined && d.cmd === undefined &&
    d.healthcheck === undefined
  );
}

/** dockerInstructions: USER, WORKDIR, VOLUME, ENV, LABEL, EXPOSE, ENTRYPOINT, CMD, HEALTHCHECK; config only. */
export function dockerInstructionsStage(ctx: StageContext): Stage {
  const d = ctx.image.docker;
  return {
    name: "dockerInstructions",
    kind: "docker",
    isEmpty: () => isEmptyInstructions(d),
    inputs: () => [["instructions", JSON.stringify(d)]],
    change: () => ({ kind: "config", apply: (config) => applyDockerInstructions(config, d) }),
  };
}
