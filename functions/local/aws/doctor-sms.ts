import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeAccountAttributesCommand,
  DescribeConfigurationSetsCommand,
  DescribePhoneNumbersCommand,
  DescribePoolsCommand,
  DescribeSenderIdsCommand,
  DescribeSpendLimitsCommand,
} from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { GetSMSAttributesCommand, GetSMSSandboxAccountStatusCommand } from "@aws-sdk/client-sns";
import { type CheckResult, type DoctorClients, fail, ok, warn } from "./doctor-results.js";

/** Doctor's checks of the account's SMS side: SNS's sandbox and spend, End User Messaging's identities. */

export async function snsSmsChecks(clients: DoctorClients): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const { IsInSandbox } = await clients.sns.send(new GetSMSSandboxAccountStatusCommand({}));
  results.push(
    IsInSandbox
      ? fail(
          "sns-sandbox",
          "the account is in the SNS SMS sandbox: only verified destination numbers receive messages",
          "request production access: SNS console → Text messaging (SMS) → Exit SMS sandbox",
        )
      : ok("sns-sandbox", "out of the SNS SMS sandbox"),
  );
  const { attributes } = await clients.sns.send(
    new GetSMSAttributesCommand({ attributes: ["MonthlySpendLimit"] }),
  );
  const limit = Number(attributes?.MonthlySpendLimit ?? 1);
  const now = new Date();
  const { Datapoints } = await clients.cloudWatch.send(
    new GetMetricStatisticsCommand({
      Namespace: "AWS/SNS",
      MetricName: "SMSMonthToDateSpentUSD",
      StartTime: new Date(now.getTime() - 86_400_000),
      EndTime: now,
      Period: 3600,
      Statistics: ["Maximum"],
    }),
  );
  const spent = Math.max(0, ...(Datapoints ?? []).map((point) => point.Maximum ?? 0));
  const fix =
    "raise it: a Service Quotas request for SNS's SMS monthly spend limit, then `aws sns set-sms-attributes --attributes MonthlySpendLimit=<USD>`";
  if (spent >= limit * 0.9)
    results.push(
      fail(
        "sns-spend-limit",
        `${spent.toFixed(2)} of the ${limit} USD monthly SMS spend limit used: SNS stops sending at the limit`,
        fix,
      ),
    );
  else if (limit <= 1)
    results.push(
      warn(
        "sns-spend-limit",
        `the monthly SMS spend limit is ${limit} USD (a new account's default): a few hundred messages`,
        fix,
      ),
    );
  else results.push(ok("sns-spend-limit", `${spent.toFixed(2)} of ${limit} USD this month`));
  return results;
}

export async function endUserMessagingChecks(
  clients: DoctorClients,
  settings: { originationIdentity?: string; configurationSetName?: string },
  inboundTopicArn: string | undefined,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const { AccountAttributes } = await clients.smsVoice.send(new DescribeAccountAttributesCommand({}));
  const tier = AccountAttributes?.find((attribute) => attribute.Name === "ACCOUNT_TIER")?.Value;
  results.push(
    tier === "SANDBOX"
      ? fail(
          "eum-account",
          "the End User Messaging account is in the sandbox: only verified destination numbers receive messages",
          "request production access in the End User Messaging SMS console (Account → Request production access)",
        )
      : ok("eum-account", `account tier ${tier ?? "unknown"}`),
  );
  const { SpendLimits } = await clients.smsVoice.send(new DescribeSpendLimitsCommand({}));
  const text = SpendLimits?.find((limit) => limit.Name === "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT");
  if (text && (text.EnforcedLimit ?? 0) <= 1)
    results.push(
      warn(
        "eum-spend-limit",
        `the monthly text spend limit is ${text.EnforcedLimit} USD`,
        "request a higher limit through Service Quotas (End User Messaging SMS)",
      ),
    );
  else
    results.push(ok("eum-spend-limit", `monthly text spend limit ${text?.EnforcedLimit ?? "unknown"} USD`));

  results.push(await originationCheck(clients, settings.originationIdentity));
  results.push(await configurationSetCheck(clients, settings.configurationSetName, inboundTopicArn));
  return results;
}

/** Whether the account has something to send from: the configured origination identity, or any. */
async function originationCheck(clients: DoctorClients, wanted: string | undefined): Promise<CheckResult> {
  const [numbers, senders, pools] = await Promise.all([
    clients.smsVoice.send(new DescribePhoneNumbersCommand({})),
    clients.smsVoice.send(new DescribeSenderIdsCommand({})),
    clients.smsVoice.send(new DescribePoolsCommand({})),
  ]);
  const identities = [
    ...(numbers.PhoneNumbers ?? []).flatMap((n) => [n.PhoneNumber, n.PhoneNumberId, n.PhoneNumberArn]),
    ...(senders.SenderIds ?? []).flatMap((s) => [s.SenderId, s.SenderIdArn]),
    ...(pools.Pools ?? []).flatMap((p) => [p.PoolId, p.PoolArn]),
  ].filter((identity): identity is string => Boolean(identity));
  if (wanted && !identities.includes(wanted))
    return fail(
      "eum-origination",
      `the origination identity ${wanted} (sms.endUserMessaging.originationIdentity) is not in this account and region`,
      "request a number or register a sender ID in End User Messaging, or correct the config and deploy",
    );
  if (!wanted && identities.length === 0)
    return fail(
      "eum-origination",
      "the account has no phone number, sender ID or pool: End User Messaging has nothing to send from",
      "request an origination number (or register a sender ID) for the countries the shop sends to",
    );
  return ok(
    "eum-origination",
    wanted ? `sending from ${wanted}` : `${identities.length} origination identities`,
  );
}

/** Whether the configuration set exists and sends its events (the receipts) to the inbound topic. */
async function configurationSetCheck(
  clients: DoctorClients,
  name: string | undefined,
  inboundTopicArn: string | undefined,
): Promise<CheckResult> {
  if (!name) {
    return warn(
      "eum-configuration-set",
      "no configuration set: no delivery receipts, so an ambiguous send stays unknown",
      "create one with an SNS event destination to the InboundTopicArn output, and set sms.endUserMessaging.configurationSetName",
    );
  }
  try {
    const { ConfigurationSets } = await clients.smsVoice.send(
      new DescribeConfigurationSetsCommand({ ConfigurationSetNames: [name] }),
    );
    const destinations = ConfigurationSets?.[0]?.EventDestinations ?? [];
    const toInbound = destinations.some(
      (destination) => destination.Enabled && destination.SnsDestination?.TopicArn === inboundTopicArn,
    );
    return toInbound
      ? ok("eum-configuration-set", `${name} sends its events to the inbound topic`)
      : fail(
          "eum-configuration-set",
          `${name} has no enabled SNS event destination to the inbound topic: receipts never arrive`,
          `aws pinpoint-sms-voice-v2 create-event-destination --configuration-set-name ${name} --event-destination-name shopcare --matching-event-types TEXT_ALL --sns-destination TopicArn=${inboundTopicArn}`,
        );
  } catch (error) {
    if ((error as Error).name !== "ResourceNotFoundException") throw error;
    return fail(
      "eum-configuration-set",
      `the configuration set ${name} does not exist`,
      `aws pinpoint-sms-voice-v2 create-configuration-set --configuration-set-name ${name}, then add an SNS event destination to the InboundTopicArn output`,
    );
  }
}
