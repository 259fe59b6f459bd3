import { lambdaConfig, lambdaEnvs } from "../runtime/aws-env.ts";
import { scheduledHandler } from "../runtime/aws-lambda.ts";
import cleanup from "./index.ts";

/** Lambda entry (EventBridge schedule). */
export const handler = scheduledHandler(cleanup, async () => (await lambdaEnvs(lambdaConfig(process.env))).cleanup);
