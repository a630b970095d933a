import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SFNClient } from "@aws-sdk/client-sfn";
import { createCampaignSchedulesHandler } from "../handlers/campaign-schedules.js";
import { logger } from "../handlers/logger.js";
import { AwsCampaignSchedules } from "../providers/campaign-schedules.js";
import { requireEnv } from "./env.js";

/** The campaign starts' custom resource (`core/campaign-schedules.ts`): clients and targets once per container. */
const port = new AwsCampaignSchedules(new SchedulerClient({}), new SFNClient({}), {
  group: requireEnv("SCHEDULE_GROUP"),
  targetArn: requireEnv("SCHEDULE_TARGET_ARN"),
  stateMachineArn: requireEnv("CAMPAIGNS_STATE_MACHINE_ARN"),
  roleArn: requireEnv("SCHEDULER_ROLE_ARN"),
  deadLetterArn: requireEnv("SCHEDULE_DEAD_LETTER_ARN"),
});

export const handler = createCampaignSchedulesHandler({
  port,
  now: () => new Date(),
  log: (actions) => logger.info("campaign starts reconciled", { actions }),
});
