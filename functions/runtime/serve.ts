import { UsageError } from "../../src/errors.ts";
import type { FunctionsConfig } from "../../src/functions-config/config.ts";
import { functionEnvs } from "../../src/functions-config/envs.ts";
import { createServices, dedupeFile, type RunningFunctions, type ServeOptions, type ServiceOptions, type Services } from "../../src/functions-config/wiring.ts";
import cleanup from "../cleanup/index.ts";
import webhook from "../gitlab-webhook/index.ts";
import launcher from "../launcher/index.ts";
import reaper from "../reaper/index.ts";
import reconciler from "../reconciler/index.ts";
import { fileDedupe } from "./file-dedupe.ts";
import { every, localQueue, serveHttp } from "./local.ts";
import type { Log } from "./types.ts";

/** The local host of the functions: the handlers on one machine, wired by the library (src/functions-config). */

export const SCHEDULED = ["reaper", "reconciler", "cleanup"] as const;
export type ScheduledName = (typeof SCHEDULED)[number];

export type { RunningFunctions, ServeOptions };

async function runOne(name: ScheduledName, cfg: FunctionsConfig, s: Services, log: Log): Promise<unknown> {
  const envs = functionEnvs(cfg, s, log);
  const event = { scheduledTime: Date.now(), cron: name };
  if (name === "reaper") return reaper.scheduled(event, envs.reaper);
  if (name === "reconciler") return reconciler.scheduled(event, envs.reconciler);
  return cleanup.scheduled(event, envs.cleanup);
}

/** `slipway functions run NAME`: one scheduled function, once. */
export async function runScheduled(name: string, cfg: FunctionsConfig, o: ServiceOptions & { log: Log }): Promise<unknown> {
  if (!(SCHEDULED as readonly string[]).includes(name)) throw new UsageError(`unknown function "${name}"; scheduled functions: ${SCHEDULED.join(", ")}`);
  const services = await createServices(cfg, o);
  try {
    const report = await runOne(name as ScheduledName, cfg, services, o.log);
    // A local node lives in the process that launched it: a reconciler run waits for its nodes.
    await services.idle();
    return report;
  } finally {
    await services.dispose();
  }
}

/** `slipway functions serve`: the webhook at POST /webhook, the launcher behind a local queue, the schedules on timers. */
export async function serveFunctions(cfg: FunctionsConfig, o: ServeOptions): Promise<RunningFunctions> {
  if (!cfg.webhookSecret) throw new UsageError("SLIPWAY_WEBHOOK_SECRET must be set: the webhook refuses every request without it");
  const services = await createServices(cfg, o);
  const envs = functionEnvs(cfg, services, o.log);
  const queue = localQueue((batch) => launcher.queue(batch, envs.launcher), {
    retryDelayMs: o.retryDelayMs,
    onDrop: (m) => o.log("launcher.gave-up", { message: m.body }),
  });
  const webhookEnv = { webhookSecret: cfg.webhookSecret, queue, dedupe: fileDedupe(dedupeFile(cfg)), log: o.log };
  const server = await serveHttp({ "/webhook": (req) => webhook.fetch(req, webhookEnv) }, { port: o.port, host: o.host });
  const onError = (name: string) => (err: unknown) => o.log(`${name}.failed`, { error: err instanceof Error ? err.message : String(err) });
  const stops = [
    every(cfg.schedules.reaperMs, () => runOne("reaper", cfg, services, o.log), onError("reaper")),
    every(cfg.schedules.reconcilerMs, () => (cfg.projects.length ? runOne("reconciler", cfg, services, o.log) : Promise.resolve()), onError("reconciler")),
    every(cfg.schedules.cleanupMs, () => runOne("cleanup", cfg, services, o.log), onError("cleanup")),
  ];
  const close = async () => {
    for (const stop of stops) stop();
    queue.stop();
    await server.close();
    await services.dispose();
  };
  return { url: server.url, services, drain: () => queue.drain(), close, [Symbol.asyncDispose]: close };
}
