import { lambdaConfigOnce, lambdaEnvs } from "../runtime/aws-env.ts";
import { scheduledHandler } from "../runtime/aws-lambda.ts";
import reaper from "./index.ts";

/** The config and its SSM secrets, read once per container (cold start). */
const config = lambdaConfigOnce(process.env, { launches: false });

/** Lambda entry (EventBridge schedule). */
export const handler = scheduledHandler(reaper, async () => (await lambdaEnvs(await config())).reaper);
