import type { NodeEvent } from "./types.ts";

/**
 * The Lambda adapter's translator for EC2's instance events (EventBridge, source aws.ec2):
 * the spot interruption warning and the instance state-change notification, shaped as
 * AWS documents them (test/fixtures/events/ec2-*.json are AWS's examples).
 */

/** EC2's events about one instance, as EventBridge delivers them (aws.ec2 source). */
export interface Ec2InstanceEvent {
  "detail-type": "EC2 Spot Instance Interruption Warning" | "EC2 Instance State-change Notification";
  source: "aws.ec2";
  time: string;
  detail: { "instance-id": string; "instance-action"?: string; state?: string };
}

const EC2_INSTANCE_EVENTS: ReadonlySet<string> = new Set(["EC2 Spot Instance Interruption Warning", "EC2 Instance State-change Notification"]);

// aws.ec2 events name their instance in detail["instance-id"]; the detail-type says which of the two it is.
export const isEc2InstanceEvent = (e: unknown): e is Ec2InstanceEvent =>
  typeof e === "object" && e !== null && (e as Ec2InstanceEvent).source === "aws.ec2" &&
  EC2_INSTANCE_EVENTS.has((e as Ec2InstanceEvent)["detail-type"]) && typeof (e as Ec2InstanceEvent).detail?.["instance-id"] === "string";

export function toNodeEvent(e: Ec2InstanceEvent): NodeEvent {
  const time = Date.parse(e.time);
  const base = { nodeId: e.detail["instance-id"], time: Number.isNaN(time) ? Date.now() : time };
  return e["detail-type"] === "EC2 Spot Instance Interruption Warning"
    ? { kind: "interruption-warning", ...base }
    : { kind: "state-change", ...base, ...(typeof e.detail.state === "string" && { state: e.detail.state }) };
}

