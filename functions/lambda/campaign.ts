import { createCampaignHandler } from "../handlers/campaign.js";
import { deliverDeps } from "./sending.js";

/** The campaigns' task: the due held messages, then pages of the customer directory (`core/campaigns.ts`). */
export const handler = createCampaignHandler(deliverDeps);
