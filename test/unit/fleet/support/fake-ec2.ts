import {
  CreateTagsCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, StartInstancesCommand, TerminateInstancesCommand,
  type RunInstancesCommandInput, type Tag,
} from "@aws-sdk/client-ec2";
import { DeleteParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient, type PutParameterCommandInput } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";

interface Inst {
  InstanceId: string;
  State: { Name: string };
  LaunchTime: Date;
  Tags: Tag[];
  token: string;
  /** "spot" for a spot launch, as DescribeInstances reports it; absent for on-demand. */
  InstanceLifecycle?: string;
}

/** As the SDK raises them: the code as `name`, server faults with $fault "server" and a 5xx. */
function awsError(name: string): Error {
  const server = /^Internal|Unavailable/.test(name);
  return Object.assign(new Error(name), { name, $fault: server ? "server" : "client", $metadata: { httpStatusCode: server ? 500 : 400 } });
}

/**
 * EC2 and SSM behind aws-sdk-client-mock, with just enough state to be honest about
 * idempotency: RunInstances with a ClientToken it has seen returns the same instance.
 * `failRun` queues errors for the next RunInstances calls; `describeLag` hides instances.
 */
export function fakeAws() {
  const ec2 = mockClient(EC2Client);
  const ssm = mockClient(SSMClient);
  const instances: Inst[] = [];
  const params = new Map<string, PutParameterCommandInput>();
  const runInputs: RunInstancesCommandInput[] = [];
  const failRun: string[] = [];
  const failPut: string[] = [];
  // `hidden`: terminated instances DescribeInstances no longer shows (after about an hour in EC2).
  const state: { describeLag: boolean; seq: number; now?: Date; hidden: Set<string> } = { describeLag: false, seq: 0, hidden: new Set() };

  ec2.on(RunInstancesCommand).callsFake(async (input: RunInstancesCommandInput) => {
    runInputs.push(input);
    const fail = failRun.shift();
    if (fail) throw awsError(fail);
    let inst = instances.find((i) => i.token === input.ClientToken);
    if (!inst) {
      const tags = input.TagSpecifications?.find((t) => t.ResourceType === "instance")?.Tags ?? [];
      inst = { InstanceId: `i-${(++state.seq).toString(16).padStart(17, "0")}`, State: { Name: "pending" }, LaunchTime: state.now ?? new Date(), Tags: tags, token: input.ClientToken ?? "" };
      if (input.InstanceMarketOptions?.MarketType === "spot") inst.InstanceLifecycle = "spot";
      instances.push(inst);
    }
    return { OwnerId: "123456789012", Instances: [{ InstanceId: inst.InstanceId, State: inst.State, LaunchTime: inst.LaunchTime, Tags: inst.Tags, InstanceLifecycle: inst.InstanceLifecycle }] };
  });
  ec2.on(DescribeInstancesCommand).callsFake(async (input: { Filters?: Array<{ Name?: string; Values?: string[] }> }) => {
    const match = (i: Inst) =>
      !state.hidden.has(i.InstanceId) &&
      (input.Filters ?? []).every((f) => {
        if (f.Name === "instance-id") return f.Values?.includes(i.InstanceId);
        if (f.Name === "instance-state-name") return f.Values?.includes(i.State.Name);
        const key = f.Name?.replace(/^tag:/, "");
        return i.Tags.some((t) => t.Key === key && f.Values?.includes(t.Value ?? ""));
      });
    const visible = state.describeLag ? [] : instances.filter(match);
    return { Reservations: visible.map((i) => ({ OwnerId: "123456789012", Instances: [{ ...i }] })) };
  });
  ec2.on(TerminateInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => {
    for (const id of input.InstanceIds) {
      const i = instances.find((x) => x.InstanceId === id);
      if (!i) throw awsError("InvalidInstanceID.NotFound");
      i.State = { Name: "shutting-down" };
    }
    return {};
  });
  // StartInstances as EC2 documents it: a stopped instance goes pending (PreviousState stopped);
  // one already starting or running is answered with its state, unchanged; spot cannot be started.
  ec2.on(StartInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => {
    const starting = input.InstanceIds.map((id) => {
      const i = instances.find((x) => x.InstanceId === id);
      if (!i) throw awsError("InvalidInstanceID.NotFound");
      if (i.InstanceLifecycle === "spot") throw awsError("UnsupportedOperation");
      const previous = i.State.Name;
      if (previous === "stopped") i.State = { Name: "pending" };
      else if (previous !== "pending" && previous !== "running") throw awsError("IncorrectInstanceState");
      return { InstanceId: id, PreviousState: { Name: previous }, CurrentState: { ...i.State } };
    });
    return { StartingInstances: starting };
  });
  // CreateTags overwrites a key's value (never a second tag with the key), up to 50 tags a resource.
  ec2.on(CreateTagsCommand).callsFake(async (input: { Resources: string[]; Tags: Tag[] }) => {
    for (const i of instances.filter((x) => input.Resources.includes(x.InstanceId))) {
      const merged = new Map(i.Tags.map((t) => [t.Key, t.Value]));
      for (const t of input.Tags) merged.set(t.Key, t.Value);
      if (merged.size > 50) throw awsError("TagLimitExceeded");
      i.Tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
    }
    return {};
  });
  ssm.on(PutParameterCommand).callsFake(async (input: PutParameterCommandInput) => {
    const fail = failPut.shift();
    if (fail) throw awsError(fail);
    if (params.has(input.Name ?? "") && !input.Overwrite) throw awsError("ParameterAlreadyExists");
    params.set(input.Name ?? "", { ...params.get(input.Name ?? ""), ...input });
    return { Version: 1 };
  });
  ssm.on(GetParametersByPathCommand).callsFake(async (input: { Path: string }) => ({
    Parameters: [...params.keys()].filter((k) => k.startsWith(`${input.Path}/`)).map((Name) => ({ Name })),
  }));
  ssm.on(DeleteParameterCommand).callsFake(async (input: { Name: string }) => {
    if (!params.delete(input.Name)) throw awsError("ParameterNotFound");
    return {};
  });
  return { ec2, ssm, instances, params, runInputs, failRun, failPut, state, restore: () => (ec2.restore(), ssm.restore()) };
}
