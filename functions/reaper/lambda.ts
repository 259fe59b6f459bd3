import { lambdaConfig, lambdaEnvs } from "../runtime/aws-env.ts";
import { scheduledHandler } from "../runtime/aws-lambda.ts";
import reaper from "./index.ts";

/** Lambda entry (EventBridge schedule). */
export const handler = scheduledHandler(reaper, async () => (await lambdaEnvs(lambdaConfig(process.env))).reaper);
