import type { SSMClient } from "@aws-sdk/client-ssm";
import { awsCall, errorCode } from "./errors.ts";

/**
 * Per-job runner tokens in SSM Parameter Store, one SecureString per instance at
 * `<path>/<instance-id>/runner-token`, tagged `slipway:instance-arn` with the instance's
 * ARN. The node role may read a parameter only when that tag equals
 * `${ec2:SourceInstanceARN}` (see docs/functions.md), so each node reads its own token alone.
 */
export interface RunnerTokenStore {
  put(node: { instanceId: string; instanceArn: string; jobId: number }, token: string): Promise<void>;
  /** Instance ids that have a parameter. */
  list(): Promise<string[]>;
  remove(instanceId: string): Promise<void>;
}

export function parameterName(path: string, instanceId: string): string {
  return `${path.replace(/\/+$/, "")}/${instanceId}/runner-token`;
}

export async function createSsmTokenStore(opts: { client: SSMClient; path: string; sleep: (ms: number) => Promise<void> }): Promise<RunnerTokenStore> {
  const ssm = await import("@aws-sdk/client-ssm");
  const send = <T>(what: string, cmd: object) => awsCall(what, () => opts.client.send(cmd as never) as Promise<T>, opts.sleep);
  const root = opts.path.replace(/\/+$/, "");
  return {
    async put(node, token) {
      const Name = parameterName(root, node.instanceId);
      const tags = [
        { Key: "app", Value: "slipway" },
        { Key: "slipway:instance-arn", Value: node.instanceArn },
        { Key: "slipway:job-id", Value: String(node.jobId) },
      ];
      try {
        await send("PutParameter", new ssm.PutParameterCommand({ Name, Value: token, Type: "SecureString", Tags: tags }));
      } catch (err) {
        // A retried launch finds the parameter of its first attempt; tags cannot be given with Overwrite.
        if (errorCode(err) !== "ParameterAlreadyExists") throw err;
        await send("PutParameter", new ssm.PutParameterCommand({ Name, Value: token, Type: "SecureString", Overwrite: true }));
      }
    },
    async list() {
      const ids: string[] = [];
      let NextToken: string | undefined;
      do {
        const out = await send<{ Parameters?: Array<{ Name?: string }>; NextToken?: string }>(
          "GetParametersByPath", new ssm.GetParametersByPathCommand({ Path: root, Recursive: true, NextToken }),
        );
        for (const p of out.Parameters ?? []) {
          // Only per-instance parameters: a pool token infra keeps under the same path is not ours to reap.
          const m = p.Name?.slice(root.length).match(/^\/(i-[0-9a-f]+)\/runner-token$/);
          if (m) ids.push(m[1]);
        }
        NextToken = out.NextToken;
      } while (NextToken);
      return ids;
    },
    async remove(instanceId) {
      try {
        await send("DeleteParameter", new ssm.DeleteParameterCommand({ Name: parameterName(root, instanceId) }));
      } catch (err) {
        if (errorCode(err) !== "ParameterNotFound") throw err;
      }
    },
  };
}
