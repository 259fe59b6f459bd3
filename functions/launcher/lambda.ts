import { lambdaConfig, lambdaEnvs } from "../runtime/aws-env.ts";
import { queueHandler } from "../runtime/aws-lambda.ts";
import launcher from "./index.ts";

/** Lambda entry (SQS event source with ReportBatchItemFailures). */
export const handler = queueHandler(launcher, async () => (await lambdaEnvs(lambdaConfig(process.env))).launcher);
