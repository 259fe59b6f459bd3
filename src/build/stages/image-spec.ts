import type { ImageSpec } from "../../config/types.ts";
import type { RuntimeConfig } from "../../image/index.ts";
import type { Stage, StageContext } from "../stage.ts";

/** werf's remove patterns: an exact name, or `/regex/` matched against the whole name. */
function matcher(patterns: string[]): (key: string) => boolean {
  const exact = new Set(patterns.filter((p) => !(p.length > 1 && p.startsWith("/") && p.endsWith("/"))));
  const regexes = patterns.filter((p) => !exact.has(p)).map((p) => new RegExp(`^(?:${p.slice(1, -1)})$`));
  return (key) => exact.has(key) || regexes.some((r) => r.test(key));
}

/** werf's label templates: `%project%` and `%image%` (Go template calls with % delimiters). */
function labelTemplate(text: string, project: string, image: string): string {
  return text.replace(/%\s*(project|image)\s*%/g, (_, name: string) => (name === "project" ? project : image));
}

/** $VAR and ${VAR} from the image's env, as werf expands imageSpec env values (shell words). */
function expand(value: string, env: Map<string, string>): string {
  return value.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, a?: string, b?: string) => env.get((a ?? b) as string) ?? "");
}

/** Applies an imageSpec to a config the way werf's imageSpec stage does (pkg/build/stage/image_spec.go). */
export function applyImageSpec(base: RuntimeConfig, spec: ImageSpec, names: { project: string; image: string }): RuntimeConfig {
  const c: RuntimeConfig = structuredClone(base);
  const dropLabel = matcher(spec.removeLabels);
  const labels = Object.fromEntries(Object.entries(c.Labels ?? {}).filter(([k]) => !dropLabel(k)));
  for (const [k, v] of Object.entries(spec.labels)) labels[labelTemplate(k, names.project, names.image)] = labelTemplate(v, names.project, names.image);
  c.Labels = labels;
  if (Object.keys(labels).length === 0) delete c.Labels;
  const dropEnv = matcher(spec.removeEnv);
  const env = new Map((c.Env ?? []).map((e) => [e.slice(0, e.indexOf("=") < 0 ? e.length : e.indexOf("=")), e.slice(e.indexOf("=") + 1)] as [string, string]));
  const before = new Map(env);
  for (const key of [...env.keys()]) if (dropEnv(key)) env.delete(key);
  for (const [k, v] of Object.entries(spec.env)) env.set(k, expand(v, before));
  if (env.size > 0 || c.Env) c.Env = [...env].map(([k, v]) => `${k}=${v}`);
  const dropVolume = matcher(spec.removeVolumes);
  const volumes = Object.fromEntries([...Object.keys(c.Volumes ?? {}).filter((v) => !dropVolume(v)), ...spec.volumes].map((v) => [v, {}]));
  if (Object.keys(volumes).length > 0) c.Volumes = volumes;
  else delete c.Volumes;
  if (spec.expose) {
    // `expose: [""]` (as werf's own fixtures write it) exposes nothing.
    const ports = spec.expose.filter((p) => p.trim() !== "").map((p) => (p.includes("/") ? p : `${p}/tcp`));
    if (ports.length > 0) c.ExposedPorts = Object.fromEntries(ports.map((p) => [p, {}]));
    else delete c.ExposedPorts;
  }
  if (spec.clear.user) delete c.User;
  if (spec.clear.workingDir) delete c.WorkingDir;
  if (spec.user !== undefined) c.User = spec.user;
  if (spec.workingDir !== undefined) c.WorkingDir = spec.workingDir;
  if (spec.stopSignal !== undefined) c.StopSignal = spec.stopSignal;
  // As werf: a new entrypoint without a cmd clears the inherited cmd.
  if (spec.clear.entrypoint) c.Entrypoint = null;
  if (spec.clear.cmd || (spec.entrypoint !== undefined && spec.cmd === undefined)) c.Cmd = null;
  if (spec.entrypoint !== undefined) c.Entrypoint = spec.entrypoint;
  if (spec.cmd !== undefined) c.Cmd = spec.cmd;
  if (spec.healthcheck) {
    const h = spec.healthcheck;
    const ns = (s?: number) => (s === undefined ? undefined : s * 1e9);
    c.Healthcheck = { Test: h.test, ...(h.interval !== undefined ? { Interval: ns(h.interval) } : {}), ...(h.timeout !== undefined ? { Timeout: ns(h.timeout) } : {}),
      ...(h.startPeriod !== undefined ? { StartPeriod: ns(h.startPeriod) } : {}), ...(h.retries !== undefined ? { Retries: h.retries } : {}) };
  }
  return c;
}

/** imageSpec (werf v2): the image's config, last; config only, no layer. */
export function imageSpecStage(ctx: StageContext): Stage {
  const spec = ctx.image.imageSpec;
  return {
    name: "imageSpec",
    kind: "imageSpec",
    isEmpty: () => spec === undefined,
    // The project and image names only count when a label template uses them.
    inputs: () => [
      ["imageSpec", JSON.stringify(spec ?? {})],
      ...(JSON.stringify(spec?.labels ?? {}).includes("%") ? [["names", JSON.stringify([ctx.project, ctx.image.name])] as const] : []),
    ],
    author: () => spec?.author,
    change: () => ({ kind: "config", apply: (config) => applyImageSpec(config, spec as ImageSpec, { project: ctx.project, image: ctx.image.name }) }),
  };
}
