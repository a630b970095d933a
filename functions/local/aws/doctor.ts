import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  ListStateMachineVersionsCommand,
} from "@aws-sdk/client-sfn";
import { ListSubscriptionsByTopicCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { ShopConfig } from "../../core/config/config.js";
import { marketingWithoutOptOutLine, optOutLineOf } from "../../core/config/lint.js";
import { LINK_NOT_FOUND_MARK } from "../../handlers/link.js";
import { aliyunChecks } from "./doctor-aliyun.js";
import { kuaidi100AccountCheck, parcelSubscriptionShareCheck } from "./doctor-kuaidi100.js";
import { type CheckResult, type DoctorClients, fail, jsonSecret, ok, warn } from "./doctor-results.js";
import { shopifyChecks } from "./doctor-shopify.js";
import { endUserMessagingChecks, snsSmsChecks } from "./doctor-sms.js";
import { outputsOf } from "./stack-outputs.js";

export { type CheckResult, type CheckStatus, type DoctorClients, doctorClients } from "./doctor-results.js";

/** A code of the right form that is as good as never drawn (62⁻⁸): the link function answers it 404. */
const PROBE_CODE = "00000000";

/**
 * Whether the base URL the messages carry (`links.baseUrl`) reaches the link function: a code that does
 * not exist must come back as the function's own 404 page. A short domain not mapped to the HTTP API, or a
 * typo, leaves every link in every message dead.
 */
async function shortLinksCheck(baseUrl: string, apiUrl: string | undefined): Promise<CheckResult> {
  const probe = `${baseUrl.replace(/\/+$/, "")}/l/${PROBE_CODE}`;
  const fix = `map the domain to the HTTP API (an API Gateway custom domain with an API mapping), or set links.baseUrl to the LinkBaseUrl output (${apiUrl ?? "see the stack's outputs"}) and deploy again`;
  try {
    const response = await fetch(probe, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    if (response.status === 404 && body.includes(LINK_NOT_FOUND_MARK))
      return ok("short-links", `${baseUrl}/l/… reaches the link function`);
    return fail("short-links", `${probe} answered ${response.status}, not the link function's 404`, fix);
  } catch (error) {
    return fail("short-links", `${probe} could not be fetched (${(error as Error).message})`, fix);
  }
}

/** Step Functions keeps at most 1,000 versions per state machine ("Quotas", Step Functions developer guide). */
const VERSION_QUOTA = 1000;

const putSecretFix = (arn: string, shape: string) =>
  `aws secretsmanager put-secret-value --secret-id '${arn}' --secret-string '${shape}'`;

async function webhookSecretCheck(clients: DoctorClients, arn: string): Promise<CheckResult[]> {
  const secret = await jsonSecret(clients.secrets, arn);
  const shape = '{"generic":"…","shopify":"…","kuaidi100":"…"}';
  if ("problem" in secret)
    return [fail("webhook-secret", `the webhook secret ${secret.problem}`, putSecretFix(arn, shape))];
  const results: CheckResult[] = [];
  for (const source of ["generic", "shopify", "kuaidi100"]) {
    const value = secret.fields[source];
    if (value !== undefined && typeof value !== "string") {
      results.push(fail(`webhook-secret.${source}`, `"${source}" is not a string`, putSecretFix(arn, shape)));
    } else if (!value) {
      const summary = `no ${source} secret: ${source} webhooks are answered 503`;
      const fix = `${putSecretFix(arn, shape)}  (${source === "shopify" ? "the Shopify app's API secret" : source === "kuaidi100" ? "the Kuaidi100 subscription salt" : "any long random string, shared with the sender"})`;
      // The generic source is how every other sender signs; Shopify and Kuaidi100 only matter if used.
      results.push(
        source === "generic"
          ? fail(`webhook-secret.${source}`, summary, fix)
          : warn(`webhook-secret.${source}`, summary, fix),
      );
    } else {
      results.push(ok(`webhook-secret.${source}`, `${source} secret set`));
    }
  }
  return results;
}

async function operatorsCheck(clients: DoctorClients, topicArn: string): Promise<CheckResult> {
  const { Subscriptions } = await clients.sns.send(
    new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
  );
  const confirmed = (Subscriptions ?? []).filter((subscription) =>
    subscription.SubscriptionArn?.startsWith("arn:"),
  );
  if (confirmed.length > 0)
    return ok(
      "operators-subscription",
      `${confirmed.length} confirmed subscription(s) on the operators' topic`,
    );
  const pending = (Subscriptions ?? []).length;
  return fail(
    "operators-subscription",
    pending > 0
      ? `${pending} subscription(s) on the operators' topic still wait for confirmation: alarms and handoffs reach no one`
      : "nobody subscribes to the operators' topic: alarms and handoffs reach no one",
    pending > 0
      ? "open the confirmation mail SNS sent and confirm"
      : `aws sns subscribe --topic-arn '${topicArn}' --protocol email --notification-endpoint ops@your-shop.example`,
  );
}

async function alarmsCheck(clients: DoctorClients, stackName: string): Promise<CheckResult> {
  const alarms = [];
  let NextToken: string | undefined;
  do {
    const page = await clients.cloudWatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${stackName}-`, NextToken }),
    );
    alarms.push(...(page.MetricAlarms ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  if (alarms.length === 0)
    return fail(
      "alarms",
      `no alarm named ${stackName}-…`,
      "deploy the stack (`npx cdk deploy`); the alarms are part of it",
    );
  const firing = alarms.filter((alarm) => alarm.StateValue === "ALARM").map((alarm) => alarm.AlarmName);
  const noData = alarms
    .filter((alarm) => alarm.StateValue === "INSUFFICIENT_DATA")
    .map((alarm) => alarm.AlarmName);
  if (firing.length > 0)
    return fail(
      "alarms",
      `${firing.length} of ${alarms.length} alarms firing: ${firing.join(", ")}`,
      "see each alarm's description in the CloudWatch console",
    );
  if (noData.length > 0)
    return warn(
      "alarms",
      `${noData.length} of ${alarms.length} alarms have no data yet: ${noData.join(", ")}`,
      "expected right after a deploy; send a first test order (docs/deploy.md, First deploy) and look again",
    );
  return ok("alarms", `${alarms.length} alarms, none firing`);
}

/**
 * The campaigns whose start EventBridge Scheduler gave up on, from the dead-letter events in their queue (looked
 * at, not taken: a visibility timeout of 0). Each event's body is the target's input (the StartExecution
 * request) and its attributes say why ("Configuring a schedule's dead-letter queue": ERROR_CODE,
 * ERROR_MESSAGE, RETRY_ATTEMPTS, …).
 */
async function campaignsNotStarted(clients: DoctorClients, url: string): Promise<string[]> {
  const { Messages = [] } = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      MessageAttributeNames: ["All"],
    }),
  );
  return Messages.map((message) => {
    let name = "a campaign";
    try {
      name = String(JSON.parse(message.Body ?? "{}").Name ?? name);
    } catch {}
    const attribute = (key: string) => message.MessageAttributes?.[key]?.StringValue;
    return `${name} (${attribute("ERROR_CODE") ?? "no error code"}${attribute("ERROR_MESSAGE") ? `: ${attribute("ERROR_MESSAGE")}` : ""})`;
  });
}

async function deadLettersCheck(
  clients: DoctorClients,
  queues: readonly {
    name: string;
    url: string | undefined;
    fix: string;
    /** What the waiting messages are, in words. @default their count only */
    describe?: (url: string) => Promise<string[]>;
  }[],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const queue of queues) {
    if (!queue.url) continue;
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    const waiting = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    const described = waiting > 0 && queue.describe ? await queue.describe(queue.url) : [];
    results.push(
      waiting > 0
        ? fail(
            `dead-letters.${queue.name}`,
            `${waiting} message(s) wait in the ${queue.name} dead-letter queue${described.length > 0 ? `: ${described.join("; ")}` : ""}`,
            queue.fix,
          )
        : ok(`dead-letters.${queue.name}`, `the ${queue.name} dead-letter queue is empty`),
    );
  }
  return results;
}

async function versionsCheck(clients: DoctorClients, machines: Record<string, string>): Promise<CheckResult> {
  const counts: [string, number][] = [];
  for (const [journey, arn] of Object.entries(machines)) {
    let count = 0;
    let nextToken: string | undefined;
    do {
      const page = await clients.sfn.send(
        new ListStateMachineVersionsCommand({ stateMachineArn: arn, nextToken, maxResults: 1000 }),
      );
      count += page.stateMachineVersions?.length ?? 0;
      nextToken = page.nextToken;
    } while (nextToken);
    counts.push([journey, count]);
  }
  const [busiest, most] = counts.reduce((a, b) => (b[1] > a[1] ? b : a), ["", 0] as [string, number]);
  const fix = `delete versions no execution runs on: aws stepfunctions list-state-machine-versions --state-machine-arn <arn>, then delete-state-machine-version for the oldest without RUNNING executions`;
  if (most >= VERSION_QUOTA * 0.95)
    return fail(
      "state-machine-versions",
      `${busiest} has ${most} of ${VERSION_QUOTA} versions: the next deploys will fail`,
      fix,
    );
  if (most >= VERSION_QUOTA * 0.8)
    return warn("state-machine-versions", `${busiest} has ${most} of ${VERSION_QUOTA} versions`, fix);
  return ok("state-machine-versions", `at most ${most} of ${VERSION_QUOTA} versions per machine`);
}

/**
 * Checks a deployed shopcare stack for what a first deploy gets wrong, each with how to fix it: secrets
 * still empty or malformed, the SMS account in a sandbox or at its spend limit, a missing origination
 * identity or configuration set, nobody subscribed to the operators' topic, alarms without data, dead
 * letters waiting, state machine versions near the quota, a `links.baseUrl` that does not reach the link
 * function.
 */
/**
 * China's carriers now require marketing SMS to end with "拒收请回复R" (Tencent Cloud SMS refuses a marketing
 * template without it: MarketingTemplateWithoutUnsubscribe). A Chinese shop's own marketing texts that end
 * another way ("回T退订") still pass the lint; doctor suggests the new wording for each.
 */
export function optOutLineCheck(config: ShopConfig): CheckResult | undefined {
  if (config.webhooks.defaultCountry !== "CN") return undefined;
  const line = optOutLineOf(config);
  const others = marketingWithoutOptOutLine(config);
  return others.length === 0
    ? ok("opt-out-line", `every marketing template ends with "${line}"`)
    : warn(
        "opt-out-line",
        `${others.length} marketing template(s) tell how to refuse another way; China's carriers now require "${line}"`,
        `end each with "${line}" (R, T, TD and 退订 all stay opt-out keywords), then deploy: ${others.join(", ")}`,
      );
}

/**
 * @param config the shop config the stack was deployed with (`cdk.json`), for the checks that read it
 */
export async function runDoctor(
  stackName: string,
  clients: DoctorClients,
  config?: ShopConfig,
): Promise<CheckResult[]> {
  let outputs: Record<string, string>;
  try {
    const { Stacks } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (!stack?.StackStatus?.endsWith("_COMPLETE") || stack.StackStatus.includes("ROLLBACK"))
      return [
        fail(
          "stack",
          `${stackName} is ${stack?.StackStatus ?? "missing"}`,
          "see the stack's events in the CloudFormation console, then `npx cdk deploy`",
        ),
      ];
    outputs = outputsOf(stack);
  } catch (error) {
    if ((error as Error).name === "ValidationError")
      return [
        fail(
          "stack",
          `no stack ${stackName} in this account and region`,
          "`npx cdk deploy` (or pass --stack with the name you deployed)",
        ),
        ...(await leftoverMachineCheck(clients, stackName)),
      ];
    throw error;
  }
  const results: CheckResult[] = [ok("stack", `${stackName} deployed`)];
  const provider = outputs.SmsProvider ?? "sns";
  if (outputs.WebhookSecretArn)
    results.push(...(await webhookSecretCheck(clients, outputs.WebhookSecretArn)));
  if (outputs.WebhookSecretArn && outputs.TrackingQueueUrl)
    results.push(await kuaidi100AccountCheck(clients.secrets, outputs.WebhookSecretArn));
  if (outputs.TrackingQueueUrl && outputs.TableName)
    results.push(await parcelSubscriptionShareCheck(clients, outputs.TableName, new Date()));
  if (provider === "aliyun" && outputs.AliyunSecretArn)
    results.push(...(await aliyunChecks(clients.secrets, outputs.AliyunSecretArn, config)));
  if (provider === "sns") results.push(...(await snsSmsChecks(clients)));
  if (provider === "end-user-messaging")
    results.push(
      ...(await endUserMessagingChecks(
        clients,
        JSON.parse(outputs.EndUserMessaging || "{}"),
        outputs.InboundTopicArn,
      )),
    );
  if (outputs.OperatorsTopicArn) results.push(await operatorsCheck(clients, outputs.OperatorsTopicArn));
  results.push(await alarmsCheck(clients, stackName));
  results.push(
    ...(await deadLettersCheck(clients, [
      {
        name: "events",
        url: outputs.EventsDeadLetterQueueUrl,
        fix: `fix the cause, then: npx shopcare replay --dead-letters --table ${outputs.TableName} --queue-url ${outputs.EventsQueueUrl} --dlq-arn ${outputs.EventsDeadLetterQueueArn}`,
      },
      {
        name: "inbound",
        url: outputs.InboundDeadLetterQueueUrl,
        fix: "each message is an opt-out or receipt, or a batch of link clicks, that failed: read it in the SQS console and fix the cause; republish an opt-out or receipt to the inbound topic, and invoke the clicks function with a click batch's requestPayload",
      },
      {
        name: "campaigns",
        url: outputs.CampaignDeadLetterQueueUrl,
        describe: (url) => campaignsNotStarted(clients, url),
        fix: `a campaign's schedule gave up starting it (alarm CampaignNotStarted). Read each message (aws sqs receive-message --queue-url ${outputs.CampaignDeadLetterQueueUrl} --message-attribute-names All): its ERROR_CODE and ERROR_MESSAGE attributes say why (AccessDenied, a missing alias, throttling), its body is the StartExecution request. Fix the cause, then start it with that body (aws stepfunctions start-execution --state-machine-arn … --name campaign-<id> --input …; the name makes a second start the same campaign) or move the campaign's at ahead and deploy`,
      },
    ])),
  );
  if (outputs.StateMachineArns)
    results.push(await versionsCheck(clients, JSON.parse(outputs.StateMachineArns)));
  if (outputs.ShortLinkBaseUrl)
    results.push(await shortLinksCheck(outputs.ShortLinkBaseUrl, outputs.LinkBaseUrl));
  const optOutLine = config ? optOutLineCheck(config) : undefined;
  if (optOutLine) results.push(optOutLine);
  if (config?.shopify.shop) results.push(...(await shopifyChecks(config, outputs, clients)));
  return results;
}

/**
 * The one state machine with a fixed name is the birthday journey's, `<stack>-birthday` (its step Lambda
 * starts next year's execution by an ARN built from the name). After `cdk destroy`, DeleteStateMachine leaves
 * a machine with waiting executions DELETING until they end ("DeleteStateMachine", Step Functions API
 * reference: up to 300 days for a birthday), and creating the stack again under its name fails on that name.
 */
async function leftoverMachineCheck(clients: DoctorClients, stackName: string): Promise<CheckResult[]> {
  const name = `${stackName}-birthday`;
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(new ListStateMachinesCommand({ nextToken, maxResults: 1000 }));
    const found = page.stateMachines?.find((machine) => machine.name === name);
    if (found?.stateMachineArn) {
      const { status } = await clients.sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: found.stateMachineArn }),
      );
      if (status !== "DELETING") return [];
      return [
        fail(
          "birthday-machine-deleting",
          `${name} (from a destroyed ${stackName}) is still DELETING: its waiting birthday executions keep it until they end, and a new ${stackName} cannot take its name`,
          `stop its running executions, then deploy once it is gone: aws stepfunctions list-executions --state-machine-arn ${found.stateMachineArn} --status-filter RUNNING --query "executions[].executionArn" --output text | xargs -n1 aws stepfunctions stop-execution --execution-arn — or deploy under another name: npx cdk deploy -c stackName=${stackName}2`,
        ),
      ];
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return [];
}

/** The report as a person reads it: one line per check, the fix under each that is not ok. */
export function formatDoctor(stackName: string, results: readonly CheckResult[]): string {
  const mark = { ok: "ok  ", warn: "WARN", fail: "FAIL" } as const;
  const lines = [`shopcare doctor: ${stackName}`];
  for (const result of results) {
    lines.push(`${mark[result.status]} ${result.check}: ${result.summary}`);
    if (result.fix) lines.push(`     fix: ${result.fix}`);
  }
  const failed = results.filter((result) => result.status === "fail").length;
  const warned = results.filter((result) => result.status === "warn").length;
  lines.push(`${failed} failed, ${warned} warnings, ${results.length - failed - warned} ok`);
  return lines.join("\n");
}
