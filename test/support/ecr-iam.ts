/**
 * A small IAM policy evaluator for the ECR stand-in: the documents infra's policy builders
 * produce (infra/policies/) decide every request, as IAM would for an identity policy.
 *
 * Rules implemented (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * an explicit Deny wins; else an Allow that matches both action and resource allows; else
 * the request is implicitly denied. Action matching is case-insensitive with `*` and `?`
 * wildcards (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html),
 * Resource ARNs match case-sensitively with the same wildcards
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
 * Condition keys are not evaluated: a statement with a Condition never allows here (the ECR
 * statements infra writes have none), and a conditioned Deny is refused as unsupported.
 */

export interface IamStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, unknown>;
}

export interface IamPolicy {
  Version?: string;
  Statement: IamStatement[];
}

export type IamDecision = "allow" | "explicit-deny" | "implicit-deny";

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

function wildcard(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, flags);
}

function matches(s: IamStatement, action: string, resource: string): boolean {
  const raw = s as unknown as Record<string, unknown>;
  if ("NotAction" in raw || "NotResource" in raw) throw new Error(`statement ${s.Sid ?? "?"}: NotAction/NotResource are not supported by the stand-in`);
  return list(s.Action).some((a) => wildcard(a, "i").test(action)) && list(s.Resource).some((r) => wildcard(r, "").test(resource));
}

export function evaluate(policy: IamPolicy, action: string, resource: string): IamDecision {
  let allowed = false;
  for (const s of policy.Statement) {
    if (!matches(s, action, resource)) continue;
    if (s.Effect === "Deny") {
      if (s.Condition) throw new Error(`statement ${s.Sid ?? "?"}: conditioned Deny is not supported by the stand-in`);
      return "explicit-deny";
    }
    if (!s.Condition) allowed = true;
  }
  return allowed ? "allow" : "implicit-deny";
}

/** The message IAM gives for a denied call, as ECR relays it (principal, action, resource, why). */
export function deniedMessage(principalArn: string, action: string, resource: string, decision: IamDecision): string {
  const why = decision === "explicit-deny" ? "with an explicit deny in an identity-based policy" : `because no identity-based policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

/** A copy of `policy` with `action` removed from every statement (a role lacking one permission). */
export function withoutAction(policy: IamPolicy, action: string): IamPolicy {
  const Statement = policy.Statement.map((s) => ({ ...s, Action: list(s.Action).filter((a) => a !== action) })).filter((s) => s.Action.length > 0);
  return { ...policy, Statement };
}
