import {
  type CampaignDeps,
  type CampaignRunState,
  CampaignRunStateSchema,
  runCampaignTask,
} from "../core/customers/campaigns.js";

/** A Step Functions task handler: the campaign execution's state in, its next state out. */
export type CampaignHandler = (input: unknown) => Promise<CampaignRunState>;

/** The campaign loop's task (`runCampaignTask`), its input validated. */
export function createCampaignHandler(deps: CampaignDeps): CampaignHandler {
  return async (input) => runCampaignTask(deps, CampaignRunStateSchema.parse(input));
}
