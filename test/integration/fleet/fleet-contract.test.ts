import { createLocalFleet } from "../../../src/fleet/local/provider.ts";
import { scratchDir } from "../../support/services.ts";
import { fleetContract } from "../../unit/fleet/support/fleet-contract.ts";
import { waitForNode } from "./support.ts";

fleetContract("local (real private engines)", async () => {
  const home = await scratchDir("slipway-home-");
  const fleet = createLocalFleet({ home, bootstrap: { jobCommand: "sleep 600", baseEnv: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } } });
  return {
    fleet,
    settle: async (jobId) => void (await waitForNode(home, jobId, (n) => n.state !== "launching")),
    [Symbol.asyncDispose]: () => fleet[Symbol.asyncDispose](),
  };
});
