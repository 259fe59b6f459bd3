import { lambdaConfig, lambdaEnvs } from "../runtime/aws-env.ts";
import { scheduledHandler } from "../runtime/aws-lambda.ts";
import reconciler from "./index.ts";

/** Lambda entry (EventBridge schedule). */
export const handler = scheduledHandler(reconciler, async () => (await lambdaEnvs(lambdaConfig(process.env))).reconciler);
