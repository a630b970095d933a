import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";

/** What every doctor check returns, the clients it calls, and how a result is written. */

/** How a check came out: `fail` makes `shopcare doctor` exit 1; `warn` is worth a look. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One check of a deployed stack: what was found and, where it is not ok, how to fix it. */
export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly summary: string;
  readonly fix?: string;
}

/** The AWS clients doctor calls (the operator's credentials and region). */
export interface DoctorClients {
  readonly cloudFormation: CloudFormationClient;
  readonly secrets: SecretsManagerClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
  readonly cloudWatch: CloudWatchClient;
  readonly smsVoice: PinpointSMSVoiceV2Client;
  /** The shop's table (a Shopify shop's last delivery). */
  readonly dynamo: DynamoDBClient;
}

/** Clients for the default credential chain and region; `config` overrides (tests point them at a fake). */
export function doctorClients(config: Record<string, unknown> = {}): DoctorClients {
  return {
    cloudFormation: new CloudFormationClient(config),
    secrets: new SecretsManagerClient(config),
    sns: new SNSClient(config),
    // The queues are this stack's, in this region: the regional endpoint serves their URLs, and an
    // endpoint override (AWS_ENDPOINT_URL) then applies to SQS as to every other client.
    sqs: new SQSClient({ useQueueUrlAsEndpoint: false, ...config }),
    sfn: new SFNClient(config),
    cloudWatch: new CloudWatchClient(config),
    smsVoice: new PinpointSMSVoiceV2Client(config),
    dynamo: new DynamoDBClient(config),
  };
}

export const ok = (check: string, summary: string): CheckResult => ({ check, status: "ok", summary });
export const warn = (check: string, summary: string, fix: string): CheckResult => ({
  check,
  status: "warn",
  summary,
  fix,
});
export const fail = (check: string, summary: string, fix: string): CheckResult => ({
  check,
  status: "fail",
  summary,
  fix,
});

/** A JSON secret's fields, or why it is not one (every doctor check that reads a secret). */
export async function jsonSecret(
  secrets: SecretsManagerClient,
  secretId: string,
): Promise<{ fields: Record<string, unknown> } | { problem: string }> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  try {
    const parsed = JSON.parse(SecretString ?? "");
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return { fields: parsed };
  } catch {
    // reported by the caller
  }
  return { problem: "is not a JSON object" };
}
