import { TEMPLATE_SPECS } from "../../functions/core/config/templates.js";

/**
 * One shop config per SMS provider the stack deploys, each as a first deploy would write it: the tests
 * that synthesize "every provider" iterate over these.
 */
export type DeployedProvider = "sns" | "end-user-messaging" | "aliyun";

export const PROVIDER_CONFIGS: Readonly<Record<DeployedProvider, unknown>> = {
  sns: {},
  "end-user-messaging": {
    sms: { provider: "end-user-messaging", endUserMessaging: { configurationSetName: "shopcare" } },
  },
  // A Shopify shop as well: its dispatch reads the Admin API token, its inbound functions queue opt-outs.
  aliyun: {
    shopify: { shop: "example.myshopify.com" },
    sms: {
      provider: "aliyun",
      aliyun: {
        signName: "小店",
        templateCodes: Object.fromEntries(
          Object.keys(TEMPLATE_SPECS).map((id, index) => [id, `SMS_${1000 + index}`]),
        ),
      },
    },
  },
};

/** The providers, in the order the tests iterate over them. */
export const DEPLOYED_PROVIDERS = Object.keys(PROVIDER_CONFIGS) as DeployedProvider[];

/** An SNS shop with one campaign: its stack adds the campaign starter, its schedules and their queue. */
export const CAMPAIGN_CONFIG = {
  segments: { everyone: {} },
  campaigns: [
    {
      id: "spring",
      segment: "everyone",
      at: "2027-03-01T10:00:00+08:00",
      template: "【{shop}】{name}，春季上新。拒收请回复R",
    },
  ],
};
