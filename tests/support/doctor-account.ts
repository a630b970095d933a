import { parseShopConfig } from "../../functions/core/config/config.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { type Json, ResolvedTemplate } from "./cfn.js";
import type { FakeAccountState } from "./fake-account.js";
import { type DeployedProvider, PROVIDER_CONFIGS } from "./providers.js";

/** A deployed shop's account as doctor's tests arrange it: right after the first deploy, and once it is ready. */

/** The stack's outputs as CloudFormation would report them after `cdk deploy` of this provider's config. */
export function deployedOutputs(provider: DeployedProvider): Record<string, string> {
  const template = synthesizeTemplate(parseShopConfig(PROVIDER_CONFIGS[provider]));
  const resolved = new ResolvedTemplate(template);
  const outputs = (template as unknown as { Outputs: Record<string, { Value: Json }> }).Outputs;
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [key, String(resolved.resolve(output.Value))]),
  );
}

/** An account right after a first deploy: secrets as the stack made them, nothing confirmed, no data yet. */
export function firstDeploy(provider: DeployedProvider): FakeAccountState {
  const outputs = deployedOutputs(provider);
  const machines = JSON.parse(outputs.StateMachineArns as string) as Record<string, string>;
  return {
    stacks: { Shopcare: { status: "CREATE_COMPLETE", outputs } },
    secrets: {
      [outputs.WebhookSecretArn as string]: JSON.stringify({
        shopify: "",
        kuaidi100: "",
        generic: "x".repeat(48),
      }),
      ...(outputs.AliyunSecretArn
        ? {
            [outputs.AliyunSecretArn]: JSON.stringify({
              accessKeyId: "",
              accessKeySecret: "",
              inboundToken: "t".repeat(40),
            }),
          }
        : {}),
    },
    sns: { inSandbox: true, monthlySpendLimit: "1", monthToDateSpent: 0 },
    subscriptions: {
      [outputs.OperatorsTopicArn as string]: [
        { protocol: "email", endpoint: "ops@shop.example", arn: "PendingConfirmation" },
      ],
    },
    alarms: Array.from({ length: 29 }, (_, index) => ({
      name: `Shopcare-Alarm${index}`,
      state: "INSUFFICIENT_DATA" as const,
    })),
    queueDepths: {
      [outputs.EventsDeadLetterQueueUrl as string]: 0,
      [outputs.InboundDeadLetterQueueUrl as string]: 0,
    },
    machineVersions: Object.fromEntries(Object.values(machines).map((arn) => [arn, 1])),
    eum: { tier: "SANDBOX", textSpendLimit: 1, phoneNumbers: [], configurationSets: {} },
  };
}

/** The same account once the operator has done what docs/deploy.md's First deploy says. */
export function ready(provider: DeployedProvider): FakeAccountState {
  const state = firstDeploy(provider);
  const outputs = state.stacks.Shopcare?.outputs as Record<string, string>;
  state.secrets[outputs.WebhookSecretArn as string] = JSON.stringify({
    generic: "g".repeat(48),
    shopify: "shpss_1",
    kuaidi100: "salt",
    kuaidi100Key: "key",
    kuaidi100Customer: "customer",
  });
  if (outputs.AliyunSecretArn)
    state.secrets[outputs.AliyunSecretArn] = JSON.stringify({
      accessKeyId: "LTAI1",
      accessKeySecret: "s",
      inboundToken: "t".repeat(40),
    });
  state.sns = { inSandbox: false, monthlySpendLimit: "200", monthToDateSpent: 12.5 };
  state.subscriptions[outputs.OperatorsTopicArn as string] = [
    { protocol: "email", endpoint: "ops@shop.example", arn: `${outputs.OperatorsTopicArn}:1234` },
  ];
  state.alarms = state.alarms.map((alarm) => ({ ...alarm, state: "OK" }));
  state.eum = {
    tier: "PRODUCTION",
    textSpendLimit: 500,
    phoneNumbers: [
      {
        PhoneNumber: "+12065550100",
        PhoneNumberId: "phone-1",
        PhoneNumberArn: "arn:aws:sms-voice:ap-southeast-1:111122223333:phone-number/phone-1",
      },
    ],
    configurationSets: { shopcare: { topicArn: outputs.InboundTopicArn, enabled: true } },
  };
  return state;
}
