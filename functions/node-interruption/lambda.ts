import { lambdaConfigOnce, lambdaEnvs } from "../runtime/aws-env.ts";
import { nodeEventHandler } from "../runtime/aws-lambda.ts";
import interruption from "./index.ts";

/** The config and its SSM secrets, read once per container (cold start). It launches the retry's node. */
const config = lambdaConfigOnce(process.env);

/** Lambda entry (EventBridge rules for EC2 spot interruption warnings and instance state changes). */
export const handler = nodeEventHandler(interruption, async () => (await lambdaEnvs(await config())).interruption);
