import {
  type CampaignAction,
  type CampaignStatus,
  campaignStatus,
  controlCampaign,
} from "../../../core/customers/campaigns.js";
import { terminalSafeLines } from "../../../core/shared/terminal.js";
import { LOCAL_CAMPAIGN_PATH } from "../../console/console.js";
import { postToLocalShop } from "../admin-client.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { ACTIONS, awsStore, campaignText } from "../crm.js";
import { UsageError } from "../errors.js";

export const campaign = defineShopcareCommand({
  name: "campaign",
  about: `a campaign of the config: status prints its progress (customers looked at, members, sent,
          skipped by reason, held); pause holds it before its next page (it looks again after 5, 10 and
          20 minutes, then every half hour, and ends at until), resume carries on from where it
          stopped, cancel ends it (held messages stay unsent).`,
  positionals: "(status|pause|resume|cancel) ID",
  options: {
    url: { ...URL_OPTION, required: true },
    table: { ...TABLE_OPTION, group: "where" },
    config: CONFIG_OPTION,
    json: { type: "boolean", about: "the answer as JSON" },
  },
  async run({ values, positionals }) {
    const [action, id] = positionals;
    if (!action || !(ACTIONS as readonly string[]).includes(action) || !id || positionals.length > 2)
      throw new UsageError(
        `campaign: (status|pause|resume|cancel) ID, got ${positionals.join(" ") || "nothing"}`,
      );
    if ((values.url === undefined) === (values.table === undefined))
      throw new UsageError("campaign: --url URL (local) or --table NAME (AWS) says where");
    const config = await loadConfig(values.config);
    let result: CampaignStatus | { id: string; status: string; changed: boolean };
    if (values.url)
      result = await postToLocalShop(values.url, LOCAL_CAMPAIGN_PATH, { id, action }, "campaign");
    else {
      const store = await awsStore(values.table as string);
      result =
        action === "status"
          ? await campaignStatus(store, config, id)
          : await controlCampaign(store, config, id, action as CampaignAction, new Date());
    }
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (action === "status")
      process.stdout.write(terminalSafeLines(campaignText(result as CampaignStatus, config)));
    else {
      const { status, changed } = result as { status: string; changed: boolean };
      process.stdout.write(`campaign ${id}: ${status}${changed ? "" : " (unchanged)"}\n`);
    }
    return 0;
  },
});
