/**
 * `docker:` instructions into the image-config form the builder writes: exec-form
 * ENTRYPOINT/CMD, "port/proto" EXPOSE, Docker's HEALTHCHECK test arrays.
 */
import { durationNs } from "../util/duration.ts";
import type { DockerInstructions, HealthcheckConfig, ImageSpec } from "./types.ts";
import type { RawDocker, RawImageSpec } from "./schema.ts";
import type { PathSegment } from "./yaml-source.ts";

export type Fail = (path: readonly PathSegment[], detail: string) => never;

/** A string is Dockerfile shell form; a list is exec form. */
function execForm(v: string[] | null | undefined, wasString: boolean): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  return wasString ? ["/bin/sh", "-c", v[0]] : v;
}

export function normalizeDocker(raw: RawDocker | null | undefined, written: unknown, fail: Fail): DockerInstructions {
  const r = raw ?? {};
  const w = (written ?? {}) as Record<string, unknown>;
  const out: DockerInstructions = {
    volume: r.VOLUME ?? [],
    env: { ...(r.ENV ?? {}) },
    label: { ...(r.LABEL ?? {}) },
    expose: (r.EXPOSE ?? []).flatMap((p) => p.split(/\s+/).filter(Boolean)).map((p, i) => exposePort(p, i, fail)),
  };
  if (r.USER != null) out.user = r.USER;
  if (r.WORKDIR != null) out.workdir = r.WORKDIR;
  const entrypoint = execForm(r.ENTRYPOINT, !Array.isArray(w.ENTRYPOINT));
  const cmd = execForm(r.CMD, !Array.isArray(w.CMD));
  if (entrypoint) out.entrypoint = entrypoint;
  if (cmd) out.cmd = cmd;
  if (r.HEALTHCHECK != null) {
    const fail2 = (detail: string): never => fail(["docker", "HEALTHCHECK"], detail);
    out.healthcheck = typeof r.HEALTHCHECK === "string" ? parseHealthcheck(r.HEALTHCHECK, fail2) : healthcheckFromMap(r.HEALTHCHECK);
    for (const key of ["interval", "timeout", "startPeriod"] as const) {
      const value = out.healthcheck[key];
      if (value !== undefined && !isDuration(value)) fail2(`${key} "${value}" is not a duration (examples: 30s, 1m30s, 500ms)`);
    }
  }
  return out;
}

function isDuration(text: string): boolean {
  try {
    durationNs(text);
    return text !== "";
  } catch {
    return false;
  }
}

function exposePort(p: string, i: number, fail: Fail): string {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
  if (!m) fail(["docker", "EXPOSE"], `"${p}" is not a port (expected 8080, 8080/tcp or 53/udp)`);
  return p.includes("/") ? p.toLowerCase() : `${p}/tcp`;
}

function healthcheckFromMap(m: { test: string[]; interval?: string | null; timeout?: string | null; startPeriod?: string | null; retries?: number | null }): HealthcheckConfig {
  const first = m.test[0];
  const test = m.test.length === 1 && !["NONE", "CMD", "CMD-SHELL"].includes(first)
    ? ["CMD-SHELL", first]
    : ["NONE", "CMD", "CMD-SHELL"].includes(first) ? m.test : ["CMD", ...m.test];
  const hc: HealthcheckConfig = { test };
  if (m.interval != null) hc.interval = m.interval;
  if (m.timeout != null) hc.timeout = m.timeout;
  if (m.startPeriod != null) hc.startPeriod = m.startPeriod;
  if (m.retries != null) hc.retries = m.retries;
  return hc;
}

const OPTION_KEYS: Record<string, "interval" | "timeout" | "startPeriod" | "retries"> = {
  interval: "interval",
  timeout: "timeout",
  "start-period": "startPeriod",
  retries: "retries",
};

/**
 * Dockerfile syntax: `[HEALTHCHECK] [--interval=5s ...] CMD command | CMD ["exec", "form"] | NONE`.
 * The test array follows Docker's image config: ["CMD-SHELL", cmd], ["CMD", ...args] or ["NONE"].
 */
export function parseHealthcheck(text: string, fail: (detail: string) => never): HealthcheckConfig {
  let rest = text.trim().replace(/^HEALTHCHECK\s+/i, "");
  const hc: Partial<HealthcheckConfig> = {};
  for (let m = /^--([a-z-]+)=(\S+)\s*/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    const key = OPTION_KEYS[m[1]];
    if (!key) fail(`unknown HEALTHCHECK option --${m[1]} (known: --interval, --timeout, --start-period, --retries)`);
    if (key === "retries") {
      if (!/^\d+$/.test(m[2])) fail(`--retries must be a whole number, got "${m[2]}"`);
      hc.retries = Number(m[2]);
    } else {
      hc[key] = m[2];
    }
    rest = rest.slice(m[0].length);
  }
  if (/^NONE$/i.test(rest)) return { ...hc, test: ["NONE"] };
  const cmd = /^CMD\s+([\s\S]+)$/i.exec(rest);
  if (!cmd) fail(`expected "[options] CMD command" or "NONE", got "${text}"`);
  const command = cmd[1].trim();
  if (command.startsWith("[")) {
    let args: unknown;
    try {
      args = JSON.parse(command);
    } catch {
      return { ...hc, test: ["CMD-SHELL", command] };
    }
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) fail("exec form must be a JSON list of strings");
    return { ...hc, test: ["CMD", ...(args as string[])] };
  }
  return { ...hc, test: ["CMD-SHELL", command] };
}

/** werf's imageSpec: into ImageSpec; shapes are checked by the schema already. */
export function normalizeImageSpec(raw: RawImageSpec | null | undefined): ImageSpec | undefined {
  if (raw == null) return undefined;
  const c = raw.config ?? {};
  const spec: ImageSpec = {
    clearHistory: raw.clearHistory ?? false,
    clear: { cmd: c.clearCmd ?? false, entrypoint: c.clearEntrypoint ?? false, user: c.clearUser ?? false, workingDir: c.clearWorkingDir ?? false },
    removeLabels: c.removeLabels ?? [],
    removeVolumes: c.removeVolumes ?? [],
    removeEnv: c.removeEnv ?? [],
    volumes: c.volumes ?? [],
    labels: { ...(c.labels ?? {}) },
    env: { ...(c.env ?? {}) },
  };
  if (raw.author != null) spec.author = raw.author;
  if (c.expose != null) spec.expose = c.expose;
  if (c.user != null) spec.user = c.user;
  if (c.cmd != null) spec.cmd = c.cmd;
  if (c.entrypoint != null) spec.entrypoint = c.entrypoint;
  if (c.workingDir != null) spec.workingDir = c.workingDir;
  if (c.stopSignal != null) spec.stopSignal = c.stopSignal;
  if (c.healthcheck != null) {
    const h = c.healthcheck;
    spec.healthcheck = { test: h.test };
    for (const key of ["interval", "timeout", "startPeriod", "retries"] as const) if (h[key] != null) spec.healthcheck[key] = h[key];
  }
  return spec;
}
