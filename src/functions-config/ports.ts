import type { LaunchDeps, LaunchRequest } from "../fleet/launcher.ts";
import type { ReapDeps } from "../fleet/reaper.ts";
import type { ReconcileDeps } from "../fleet/reconciler.ts";
import type { Log } from "../log.ts";

/**
 * The ports of the functions, declared by the library: what each handler (functions/<name>)
 * receives as its env, and the services behind them. The hosts (the Lambda entries, the
 * local server in functions/runtime, the CLI) fill them in; handlers only use them.
 * Types only, so the Web-standard handlers stay free of Node APIs.
 */

/** Where accepted job events go; the launcher consumes them. */
export interface LaunchQueue {
  send(req: LaunchRequest): Promise<void>;
}

/**
 * Remembers which job ids were already queued. `claim` answers true exactly once per key
 * (until `release`), so duplicate and retried deliveries queue nothing more.
 */
export interface DedupeStore {
  claim(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
}

export interface WebhookEnv {
  webhookSecret: string;
  queue: LaunchQueue;
  dedupe: DedupeStore;
  /** Default 1 MiB: job events are a few KiB. */
  maxBodyBytes?: number;
  log?: Log;
}

export interface LauncherEnv extends LaunchDeps {
  log?: Log;
}

export interface ReaperEnv extends ReapDeps {
  log?: Log;
}

export interface ReconcilerEnv extends ReconcileDeps {
  log?: Log;
}

export interface InterruptionEnv extends LaunchDeps {
  /** SLIPWAY_RETRY_INTERRUPTED: off = log the event and leave the job to GitLab. */
  enabled?: boolean;
  log?: Log;
}

/**
 * The registry cleanup the cleanup function drives (the cleanup library fills it in:
 * src/functions-config/cleanup.ts). Without one the function reports "not configured"
 * instead of pretending to have cleaned anything.
 */
export interface RegistryCleanup {
  run(opts: { dryRun: boolean }): Promise<{ deleted: number; kept: number }>;
}

export interface CleanupEnv {
  cleanup?: RegistryCleanup;
  dryRun?: boolean;
  log?: Log;
}
