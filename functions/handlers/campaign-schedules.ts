import * as z from "zod";
import {
  type CampaignSchedulesPort,
  type CampaignStartAction,
  reconcileCampaignStarts,
} from "../core/customers/campaign-schedules.js";

const SpecSchema = z.object({
  id: z.string(),
  schedule: z.string(),
  at: z.iso.datetime(),
  until: z.iso.datetime(),
  name: z.string(),
  input: z.string(),
});

/** The custom resource's properties: the campaigns as JSON (CloudFormation passes every property as text). */
const PropertiesSchema = z.looseObject({ Campaigns: z.string() });

/**
 * The CloudFormation custom resource event as the CDK provider framework hands it to its `onEvent` handler
 * ("Provider framework", aws-cdk-lib/custom-resources).
 */
const EventSchema = z.looseObject({
  RequestType: z.enum(["Create", "Update", "Delete"]),
  ResourceProperties: PropertiesSchema,
  OldResourceProperties: PropertiesSchema.optional(),
  PhysicalResourceId: z.string().optional(),
});

/** The one physical id: the resource stands for the stack's campaign starts, whatever they are. */
export const CAMPAIGN_STARTS_ID = "shopcare-campaign-starts";

const specsOf = (properties: z.infer<typeof PropertiesSchema> | undefined) =>
  properties ? z.array(SpecSchema).parse(JSON.parse(properties.Campaigns)) : [];

/**
 * The campaign starts' custom resource: on every deploy that changes the campaigns, each is scheduled,
 * started at once (late) or left (over) by the clock of that deploy (`reconcileCampaignStarts`); on the
 * stack's deletion its schedules go.
 */
export function createCampaignSchedulesHandler(deps: {
  readonly port: CampaignSchedulesPort;
  readonly now: () => Date;
  readonly log?: (actions: Record<string, CampaignStartAction>) => void;
}) {
  return async (raw: unknown) => {
    const event = EventSchema.parse(raw);
    const current = specsOf(event.ResourceProperties);
    const previous = specsOf(event.OldResourceProperties);
    const actions =
      event.RequestType === "Delete"
        ? await reconcileCampaignStarts(deps.port, [], current, deps.now())
        : await reconcileCampaignStarts(deps.port, current, previous, deps.now());
    deps.log?.(actions);
    return { PhysicalResourceId: CAMPAIGN_STARTS_ID, Data: { Actions: JSON.stringify(actions) } };
  };
}
