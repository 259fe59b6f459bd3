import { describe, expect, it } from "vitest";
import { deniedMessage, evaluate, withoutAction, type IamPolicy } from "../../support/ecr-iam.ts";
import { infraNodePolicy } from "../../support/ecr-infra.ts";

const repo = (name: string) => `arn:aws:ecr:us-east-1:123456789012:repository/${name}`;

describe("the stand-in's IAM evaluator", () => {
  it("allows what infra's node policy allows, and nothing outside the prefix", () => {
    const node = infraNodePolicy();
    expect(evaluate(node, "ecr:PutImage", repo("slipway"))).toBe("allow");
    expect(evaluate(node, "ecr:PutImage", repo("slipway/app"))).toBe("allow");
    expect(evaluate(node, "ecr:CreateRepository", repo("slipway/app"))).toBe("allow");
    expect(evaluate(node, "ecr:CreateRepository", repo("slipway"))).toBe("implicit-deny");
    expect(evaluate(node, "ecr:PutImage", repo("slipwayx"))).toBe("implicit-deny");
    expect(evaluate(node, "ecr:BatchDeleteImage", repo("slipway"))).toBe("implicit-deny");
    expect(evaluate(node, "ecr:GetAuthorizationToken", "*")).toBe("allow");
  });

  it("explicit Deny wins; actions match case-insensitively with wildcards, resources case-sensitively", () => {
    const doc: IamPolicy = { Statement: [
      { Effect: "Allow", Action: "ecr:Batch*", Resource: "arn:aws:ecr:*:*:repository/a/*" },
      { Effect: "Deny", Action: ["ecr:BatchDeleteImage"], Resource: "*" },
      { Effect: "Allow", Action: "ecr:PutImage", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/x": "y" } } },
    ] };
    expect(evaluate(doc, "ECR:batchgetimage", repo("a/b"))).toBe("allow");
    expect(evaluate(doc, "ecr:BatchGetImage", repo("A/b"))).toBe("implicit-deny");
    expect(evaluate(doc, "ecr:BatchDeleteImage", repo("a/b"))).toBe("explicit-deny");
    // Conditions are not evaluated: a conditioned Allow never allows here.
    expect(evaluate(doc, "ecr:PutImage", repo("a/b"))).toBe("implicit-deny");
  });

  it("speaks ECR's denial message and can take one action away", () => {
    expect(deniedMessage("arn:aws:sts::1:assumed-role/r/i", "ecr:PutImage", repo("s"), "implicit-deny")).toBe(
      `User: arn:aws:sts::1:assumed-role/r/i is not authorized to perform: ecr:PutImage on resource: ${repo("s")} because no identity-based policy allows the ecr:PutImage action`,
    );
    expect(evaluate(withoutAction(infraNodePolicy(), "ecr:PutImage"), "ecr:PutImage", repo("slipway"))).toBe("implicit-deny");
  });
});
