import type { PolicyDocument, Statement } from "./document.ts";

/**
 * Actions that support no resource-level permissions, so Resource "*" is their only form.
 * Anything else on "*" needs a condition.
 */
export const RESOURCELESS_ACTIONS = new Set(["ecr:GetAuthorizationToken", "ec2:DescribeInstances", "ssm:DescribeParameters"]);

/** Actions that must always carry one of these condition keys. */
const REQUIRED_KEYS: Record<string, string[]> = {
  "ec2:RunInstances": ["ec2:LaunchTemplate"],
  "ec2:TerminateInstances": ["aws:ResourceTag/", "ec2:SourceInstanceARN"],
  "ec2:StopInstances": ["aws:ResourceTag/", "ec2:SourceInstanceARN"],
  "ec2:StartInstances": ["aws:ResourceTag/"],
  "ec2:CreateTags": ["ec2:CreateAction", "aws:ResourceTag/"],
  "iam:PassRole": ["iam:PassedToService"],
};

function conditionKeys(s: Statement): string[] {
  return Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block));
}

function statementProblems(s: Statement): string[] {
  const problems: string[] = [];
  const raw = s as unknown as Record<string, unknown>;
  if (raw.Effect !== "Allow") problems.push(`${s.Sid}: only Allow statements are expected`);
  if ("NotAction" in raw || "NotResource" in raw) problems.push(`${s.Sid}: NotAction/NotResource grant too much`);
  for (const a of s.Action) if (a.includes("*")) problems.push(`${s.Sid}: wildcard action ${a}`);
  if (s.Resource.length === 0) problems.push(`${s.Sid}: no resource`);
  if (s.Resource.includes("*") && !s.Condition) {
    for (const a of s.Action) if (!RESOURCELESS_ACTIONS.has(a)) problems.push(`${s.Sid}: ${a} on Resource "*" without a condition`);
  }
  const keys = conditionKeys(s);
  for (const a of s.Action) {
    const needed = REQUIRED_KEYS[a];
    if (needed && !keys.some((k) => needed.some((n) => k.startsWith(n)))) {
      problems.push(`${s.Sid}: ${a} must be conditioned on ${needed.join(" or ")}`);
    }
  }
  return problems;
}

/** Every least-privilege rule this project holds its policies to; empty when the document passes. */
export function auditPolicy(doc: PolicyDocument): string[] {
  const problems = doc.Statement.flatMap(statementProblems);
  const sids = doc.Statement.map((s) => s.Sid);
  if (new Set(sids).size !== sids.length) problems.push("statement ids must be unique");
  return problems;
}

/** Throws with every problem listed: the program refuses to deploy a policy that breaks the rules. */
export function assertLeastPrivilege(name: string, doc: PolicyDocument): PolicyDocument {
  const problems = auditPolicy(doc);
  if (problems.length > 0) throw new Error(`policy ${name} is not least-privilege:\n  ${problems.join("\n  ")}`);
  return doc;
}
