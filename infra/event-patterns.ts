/**
 * EventBridge patterns of the EC2 events that tell a build node is going or gone, as
 * pure values (tested directly). The state-change rule matches only the states in which
 * an instance will not finish its job; EventBridge cannot filter by tag, so the function
 * ignores instances that are not slipway's.
 */

export const SPOT_INTERRUPTION_PATTERN = {
  source: ["aws.ec2"],
  "detail-type": ["EC2 Spot Instance Interruption Warning"],
} as const;

/** Kept in step with functions/node-interruption/index.ts (GOING). */
export const NODE_GOING_STATES = ["stopping", "stopped", "shutting-down", "terminated"] as const;

export const STATE_CHANGE_PATTERN = {
  source: ["aws.ec2"],
  "detail-type": ["EC2 Instance State-change Notification"],
  detail: { state: [...NODE_GOING_STATES] },
} as const;
