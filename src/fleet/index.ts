// The fleet's public surface. The ec2 provider is not re-exported: it loads the AWS SDK,
// so callers import src/fleet/ec2/provider.ts lazily when SLIPWAY_FLEET=ec2.
export * from "./types.ts";
export { withCap } from "./cap.ts";
export { launchForJob, servedBy, type FleetMode, type FleetSettings, type LaunchDeps, type LaunchOutcome, type LaunchRequest } from "./launcher.ts";
export { reap, type ReapDeps, type ReapReport, type NodeSecrets } from "./reaper.ts";
export { reconcile, type ReconcileDeps, type ReconcileReport } from "./reconciler.ts";
export { createLocalFleet, type LocalFleet, type LocalFleetOptions } from "./local/index.ts";
