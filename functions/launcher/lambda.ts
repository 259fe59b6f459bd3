import { lambdaConfigOnce, lambdaEnvs } from "../runtime/aws-env.ts";
import { queueHandler } from "../runtime/aws-lambda.ts";
import launcher from "./index.ts";

/** The config and its SSM secrets, read once per container (cold start). */
const config = lambdaConfigOnce(process.env);

/** Lambda entry (SQS event source with ReportBatchItemFailures). */
export const handler = queueHandler(launcher, async () => (await lambdaEnvs(await config())).launcher);
