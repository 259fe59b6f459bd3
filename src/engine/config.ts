import type { RuntimeConfig } from "./types.ts";

const RUNTIME_KEYS: (keyof RuntimeConfig)[] = [
  "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Healthcheck", "Volumes", "WorkingDir", "Labels", "StopSignal", "Shell", "OnBuild",
];

/** Keeps only the keys of an inspected config that are set, so configs compare and hash stably. */
export function normaliseRuntimeConfig(raw: Record<string, unknown> | null | undefined): RuntimeConfig {
  const out: Record<string, unknown> = {};
  for (const key of RUNTIME_KEYS) {
    const value = raw?.[key];
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value) && value.length === 0 && key !== "Cmd" && key !== "Entrypoint") continue;
    if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out as RuntimeConfig;
}
