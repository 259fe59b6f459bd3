import { describe, expect, it } from "vitest";
import { auditPolicy } from "../../../infra/policies/audit.ts";
import { policy, allow, type PolicyDocument, type Scope, type Statement } from "../../../infra/policies/document.ts";
import { FUNCTION_NAMES, functionPolicy, type FunctionPolicyInput } from "../../../infra/policies/functions.ts";
import { nodePolicy, type NodePolicyInput } from "../../../infra/policies/node.ts";
import { repositoryCreationPolicy } from "../../../infra/policies/registry.ts";

const scope: Scope = { partition: "aws", region: "eu-west-1", account: "123456789012" };
const repositoryArn = "arn:aws:ecr:eu-west-1:123456789012:repository/slipway";
const imageRepositories = `${repositoryArn}/*`;
const appTag = { key: "app", value: "slipway" };

function nodeInput(over: Partial<NodePolicyInput> = {}): NodePolicyInput {
  return { scope, repositoryName: "slipway", nodeParameterPath: "/slipway/dev/nodes", appTag, ...over };
}

function fnInput(over: Partial<FunctionPolicyInput> = {}): FunctionPolicyInput {
  return {
    scope,
    appTag,
    logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/slipway-launcher",
    queueArn: "arn:aws:sqs:eu-west-1:123456789012:slipway-jobs",
    repositoryName: "slipway",
    launchTemplateArns: ["arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0abc"],
    nodeRoleArn: "arn:aws:iam::123456789012:role/slipway-node",
    nodeParameterPath: "/slipway/dev/nodes",
    secretArns: {
      webhookSecret: "arn:aws:ssm:eu-west-1:123456789012:parameter/slipway/dev/webhook-secret",
      gitlabToken: "arn:aws:ssm:eu-west-1:123456789012:parameter/slipway/dev/gitlab-token",
    },
    ...over,
  };
}

function statementsWith(doc: PolicyDocument, action: string): Statement[] {
  return doc.Statement.filter((s) => s.Action.includes(action));
}

const allDocs = (): [string, PolicyDocument][] => [
  ["node", nodePolicy(nodeInput())],
  ["ecr-create", repositoryCreationPolicy(scope, "slipway")],
  ...FUNCTION_NAMES.map((n): [string, PolicyDocument] => [n, functionPolicy(n, fnInput())]),
];

describe("every policy", () => {
  it.each(allDocs())("%s passes the least-privilege audit", (_name, doc) => {
    expect(auditPolicy(doc)).toEqual([]);
  });

  it.each(allDocs())("%s uses no wildcard action and no bare Resource * without need", (_name, doc) => {
    for (const s of doc.Statement) {
      for (const a of s.Action) expect(a).not.toMatch(/\*/);
      if (s.Resource.includes("*") && !s.Condition) {
        expect(s.Action.every((a) => ["ecr:GetAuthorizationToken", "ec2:DescribeInstances"].includes(a))).toBe(true);
      }
    }
  });
});

describe("the audit itself", () => {
  it("rejects wildcard actions, unguarded Resource * and unconditioned launches", () => {
    const bad = policy(
      allow("A", ["s3:*"], ["arn:aws:s3:::b"]),
      allow("B", ["*"], ["arn:aws:s3:::b"]),
      allow("C", ["ec2:Describe*"], ["*"]),
      allow("D", ["ssm:PutParameter"], ["*"]),
      allow("E", ["ec2:RunInstances"], ["*"], { StringEquals: { "aws:RequestedRegion": "eu-west-1" } }),
      allow("F", ["ec2:TerminateInstances"], ["arn:aws:ec2:eu-west-1:1:instance/*"]),
    );
    const problems = auditPolicy(bad).join("\n");
    for (const needle of ["A: wildcard action s3:*", "B: wildcard action *", "C: wildcard action ec2:Describe*", 'D: ssm:PutParameter on Resource "*"', "E: ec2:RunInstances must be conditioned", "F: ec2:TerminateInstances must be conditioned"]) {
      expect(problems).toContain(needle);
    }
  });
});

describe("build node policy", () => {
  const doc = nodePolicy(nodeInput());

  it("pushes and pulls only the stages repository and the image repositories under its prefix", () => {
    const ecr = doc.Statement.filter((s) => s.Action.some((a) => a.startsWith("ecr:")));
    const onRepo = ecr.filter((s) => !s.Action.includes("ecr:GetAuthorizationToken"));
    expect([...new Set(onRepo.flatMap((s) => s.Resource))].sort()).toEqual([repositoryArn, imageRepositories]);
    const [push] = statementsWith(doc, "ecr:PutImage");
    expect(push.Resource).toEqual([repositoryArn, imageRepositories]);
    expect(push.Action).toEqual(expect.arrayContaining(["ecr:BatchGetImage", "ecr:UploadLayerPart", "ecr:GetDownloadUrlForLayer"]));
    expect(doc.Statement.flatMap((s) => s.Action)).not.toContain("ecr:BatchDeleteImage");
  });

  it("may create image repositories on push under the prefix only, never the stages repository or others", () => {
    const [create] = statementsWith(doc, "ecr:CreateRepository");
    expect(create.Action).toEqual(["ecr:CreateRepository"]);
    expect(create.Resource).toEqual([imageRepositories]);
  });

  it("reads and deletes only its own parameter", () => {
    const [s] = statementsWith(doc, "ssm:GetParameter");
    expect(s.Action.sort()).toEqual(["ssm:DeleteParameter", "ssm:GetParameter"]);
    expect(s.Resource).toEqual(["arn:aws:ssm:eu-west-1:123456789012:parameter/slipway/dev/nodes/*"]);
    expect(s.Condition).toEqual({ StringEquals: { "ssm:resourceTag/slipway:instance-arn": "${ec2:SourceInstanceARN}" } });
  });

  it("in pool mode also reads the shared runner token, and nothing else more", () => {
    const pool = nodePolicy(nodeInput({ poolTokenParameter: "/slipway/dev/nodes/pool/runner-token" }));
    const added = pool.Statement.filter((s) => !doc.Statement.some((d) => d.Sid === s.Sid));
    expect(added).toEqual([
      { Sid: "ReadPoolRunnerToken", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: ["arn:aws:ssm:eu-west-1:123456789012:parameter/slipway/dev/nodes/pool/runner-token"] },
    ]);
  });

  it("terminates only itself", () => {
    const [s] = statementsWith(doc, "ec2:TerminateInstances");
    expect(s.Resource).toEqual(["arn:aws:ec2:eu-west-1:123456789012:instance/*"]);
    expect(s.Condition?.ArnLike).toEqual({ "ec2:SourceInstanceARN": "arn:aws:ec2:eu-west-1:123456789012:instance/${ec2:InstanceID}" });
    expect(s.Condition?.StringEquals).toEqual({ "aws:ResourceTag/app": "slipway" });
  });
});

describe("function policies", () => {
  it("launch only with our launch template, tag only on create, pass only the node role to EC2", () => {
    for (const name of ["launcher", "reconciler"] as const) {
      const doc = functionPolicy(name, fnInput());
      const [run] = statementsWith(doc, "ec2:RunInstances");
      expect(run.Condition).toEqual({ ArnLike: { "ec2:LaunchTemplate": ["arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0abc"] } });
      const [tag] = statementsWith(doc, "ec2:CreateTags");
      expect(tag.Condition).toEqual({ StringEquals: { "ec2:CreateAction": "RunInstances" } });
      const [pass] = statementsWith(doc, "iam:PassRole");
      expect(pass.Resource).toEqual(["arn:aws:iam::123456789012:role/slipway-node"]);
      expect(statementsWith(doc, "ec2:TerminateInstances")).toEqual([]);
    }
  });

  it("terminate only instances carrying our tag (reaper); its launches (an interrupted job's retry) only from our templates", () => {
    const doc = functionPolicy("reaper", fnInput());
    for (const s of statementsWith(doc, "ec2:TerminateInstances")) expect(s.Condition).toEqual({ StringEquals: { "aws:ResourceTag/app": "slipway" } });
    const tagging = statementsWith(doc, "ec2:CreateTags").map((s) => JSON.stringify(s.Condition)).sort();
    expect(tagging).toEqual([{ StringEquals: { "aws:ResourceTag/app": "slipway" } }, { StringEquals: { "ec2:CreateAction": "RunInstances" } }].map((c) => JSON.stringify(c)));
    for (const s of statementsWith(doc, "ec2:RunInstances")) expect(Object.keys(s.Condition?.ArnLike ?? {})).toEqual(["ec2:LaunchTemplate"]);
    expect(statementsWith(doc, "ec2:TerminateInstances")).toHaveLength(1);
  });

  it("node-interruption may tag our nodes with its own note keys only, and terminates nothing", () => {
    const doc = functionPolicy("node-interruption", fnInput());
    const notes = statementsWith(doc, "ec2:CreateTags").filter((s) => s.Condition?.["ForAllValues:StringEquals"]);
    expect(notes).toHaveLength(1);
    expect(notes[0].Condition?.StringEquals).toEqual({ "aws:ResourceTag/app": "slipway" });
    expect(statementsWith(doc, "ec2:TerminateInstances")).toEqual([]);
  });

  it("write SSM parameters only under our path", () => {
    for (const name of FUNCTION_NAMES) {
      const doc = functionPolicy(name, fnInput());
      for (const action of ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource"]) {
        for (const s of statementsWith(doc, action)) expect(s.Resource).toEqual(["arn:aws:ssm:eu-west-1:123456789012:parameter/slipway/dev/nodes/*"]);
      }
    }
  });

  it("delete images only in our repositories, and only the cleanup function", () => {
    for (const name of FUNCTION_NAMES) {
      const deletes = statementsWith(functionPolicy(name, fnInput()), "ecr:BatchDeleteImage");
      if (name === "cleanup") expect(deletes.flatMap((s) => s.Resource)).toEqual([repositoryArn, imageRepositories]);
      else expect(deletes).toEqual([]);
    }
  });

  it("cleanup lists repository names (DescribeRepositories on repository/*, no other action there)", () => {
    const doc = functionPolicy("cleanup", fnInput());
    const [list] = statementsWith(doc, "ecr:DescribeRepositories");
    expect(list).toEqual({ Sid: "ListRepositoryNames", Effect: "Allow", Action: ["ecr:DescribeRepositories"], Resource: ["arn:aws:ecr:eu-west-1:123456789012:repository/*"] });
    for (const fn of FUNCTION_NAMES.filter((n) => n !== "cleanup")) expect(statementsWith(functionPolicy(fn, fnInput()), "ecr:DescribeRepositories")).toEqual([]);
  });

  it("the webhook can only read its secret, enqueue and log", () => {
    const doc = functionPolicy("gitlab-webhook", fnInput());
    expect(doc.Statement.flatMap((s) => s.Action).sort()).toEqual(["logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage", "ssm:GetParameter"]);
    expect(statementsWith(doc, "ssm:GetParameter")[0].Resource).toEqual([fnInput().secretArns.webhookSecret]);
  });
});

describe("repository creation template role", () => {
  it("creates and tags only repositories under the prefix; KMS only through ECR", () => {
    const doc = repositoryCreationPolicy(scope, "slipway");
    expect(statementsWith(doc, "ecr:CreateRepository")[0].Resource).toEqual([imageRepositories]);
    const [kms] = statementsWith(doc, "kms:CreateGrant");
    expect(kms.Resource).toEqual(["arn:aws:kms:eu-west-1:123456789012:key/*"]);
    expect(kms.Condition).toEqual({ StringEquals: { "kms:ViaService": "ecr.eu-west-1.amazonaws.com" } });
    expect(doc.Statement.flatMap((s) => s.Resource)).not.toContain("*");
  });
});

describe("warm pool permissions", () => {
  it("are granted only with a pool: start and claim only instances tagged as the pool's, with the claim's keys", () => {
    expect(statementsWith(functionPolicy("launcher", fnInput()), "ec2:StartInstances")).toEqual([]);
    for (const name of ["launcher", "reconciler", "reaper", "node-interruption"] as const) {
      const doc = functionPolicy(name, fnInput({ warmPool: true }));
      expect(auditPolicy(doc), name).toEqual([]);
      const [start] = statementsWith(doc, "ec2:StartInstances");
      expect(start.Condition).toEqual({ StringEquals: { "aws:ResourceTag/slipway:pool": "warm", "aws:ResourceTag/app": "slipway" } });
      const claim = statementsWith(doc, "ec2:CreateTags").find((s) => s.Sid === "ClaimWarmPoolNodes");
      expect(claim?.Condition?.["ForAllValues:StringEquals"]).toEqual({ "aws:TagKeys": ["slipway:job-id", "slipway:project", "slipway:expires-at", "slipway:pool", "slipway:retry-of"] });
    }
  });

  it("a node may stop only itself, and only with a pool", () => {
    expect(statementsWith(nodePolicy(nodeInput()), "ec2:StopInstances")).toEqual([]);
    const doc = nodePolicy(nodeInput({ warmPool: true }));
    expect(auditPolicy(doc)).toEqual([]);
    const [stop] = statementsWith(doc, "ec2:StopInstances");
    expect(stop.Condition?.ArnLike).toEqual({ "ec2:SourceInstanceARN": "arn:aws:ec2:eu-west-1:123456789012:instance/${ec2:InstanceID}" });
  });

  it("the audit refuses StartInstances or StopInstances without a tag condition", () => {
    const bare = policy(allow("Start", ["ec2:StartInstances"], ["arn:aws:ec2:eu-west-1:123456789012:instance/*"]));
    expect(auditPolicy(bare).join()).toMatch(/ec2:StartInstances must be conditioned/);
  });
});
