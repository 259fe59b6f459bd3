import { createEc2Fleet } from "../../../src/fleet/ec2/provider.ts";
import { memoryFleet } from "../functions/support/fakes.ts";
import { fakeAws } from "./support/fake-ec2.ts";
import { fleetContract } from "./support/fleet-contract.ts";

fleetContract("in-memory test fleet", async () => ({ fleet: memoryFleet().fleet, [Symbol.asyncDispose]: async () => undefined }));

fleetContract("ec2 (aws-sdk-client-mock)", async () => {
  const aws = fakeAws();
  const fleet = await createEc2Fleet({ region: "eu-west-1", launchTemplate: "lt-1", subnets: [], instanceTypes: [], ssmPath: "/slipway/runners", sleep: async () => undefined });
  return {
    fleet,
    settle: async (jobId) => {
      for (const i of aws.instances.filter((x) => x.Tags.some((t) => t.Key === "slipway:job-id" && t.Value === String(jobId)))) i.State = { Name: "running" };
    },
    [Symbol.asyncDispose]: async () => aws.restore(),
  };
});
