import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliyunTemplatesOf } from "../../functions/core/config/aliyun-templates.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { LINK_PATH } from "../../functions/core/engine/links.js";
import { createLinkHandler } from "../../functions/handlers/link.js";
import { type CheckResult, doctorClients, runDoctor } from "../../functions/local/aws/doctor.js";
import { freePort } from "../../functions/local/emulator/dynamodb-local.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { firstDeploy, ready } from "../support/doctor-account.js";
import { FakeAccount } from "../support/fake-account.js";
import { FakeAliyunSms } from "../support/fake-aliyun.js";
import { PROVIDER_CONFIGS } from "../support/providers.js";

const run = promisify(execFile);
const CLI = new URL("../../functions/local/cli/shopcare.mjs", import.meta.url).pathname;

const statusOf = (results: readonly CheckResult[]) =>
  Object.fromEntries(results.map((result) => [result.check, result.status]));

describe("shopcare doctor against a protocol-level fake of the account's AWS APIs", () => {
  const account = new FakeAccount(firstDeploy("sns"));
  beforeAll(() => account.start());
  afterAll(() => account.stop());
  const clients = () =>
    doctorClients({
      endpoint: account.url,
      region: "ap-southeast-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
    });

  it("names a destroyed stack's birthday machine still DELETING, with how to free its name, when the stack is gone", async () => {
    // Arrange: `cdk destroy` ran; the birthday machine waits for its executions (up to 300 days).
    const state = firstDeploy("sns");
    state.stacks = {};
    state.machines = {
      "arn:aws:states:ap-southeast-1:111122223333:stateMachine:Shopcare-birthday": {
        name: "Shopcare-birthday",
        status: "DELETING",
      },
      "arn:aws:states:ap-southeast-1:111122223333:stateMachine:Other-birthday": {
        name: "Other-birthday",
        status: "ACTIVE",
      },
    };
    account.state = state;

    // Act
    const results = await runDoctor("Shopcare", clients());
    const other = await runDoctor("Other", clients());

    // Assert
    expect(statusOf(results)).toEqual({ stack: "fail", "birthday-machine-deleting": "fail" });
    expect(results[1]?.fix).toContain(
      "aws stepfunctions list-executions --state-machine-arn arn:aws:states:ap-southeast-1:111122223333:stateMachine:Shopcare-birthday --status-filter RUNNING",
    );
    expect(results[1]?.fix).toContain("npx cdk deploy -c stackName=Shopcare2");
    expect(statusOf(other)).toEqual({ stack: "fail" });
  });

  it("names each campaign Scheduler could not start, with the error its dead-letter event carries, and the fix", async () => {
    // Arrange: a deployed shop with a campaign whose schedule's role lost its grant.
    const state = ready("sns");
    const outputs = state.stacks.Shopcare?.outputs as Record<string, string>;
    const queue =
      "https://sqs.ap-southeast-1.amazonaws.com/111122223333/Shopcare-CampaignScheduleDeadLetters";
    outputs.CampaignDeadLetterQueueUrl = queue;
    state.queueDepths[queue] = 1;
    state.queueMessages = {
      [queue]: [
        {
          Body: JSON.stringify({
            StateMachineArn: "arn:aws:states:ap-southeast-1:111122223333:stateMachine:C:live",
            Name: "campaign-spring",
            Input: "{}",
          }),
          MessageAttributes: {
            ERROR_CODE: { DataType: "String", StringValue: "AccessDeniedException" },
            ERROR_MESSAGE: {
              DataType: "String",
              StringValue: "not authorized to perform: states:StartExecution",
            },
          },
        },
      ],
    };
    account.state = state;

    // Act
    const results = await runDoctor("Shopcare", clients());
    const campaigns = results.find((result) => result.check === "dead-letters.campaigns");

    // Assert
    expect(campaigns?.status).toBe("fail");
    expect(campaigns?.summary).toBe(
      "1 message(s) wait in the campaigns dead-letter queue: campaign-spring (AccessDeniedException: not authorized to perform: states:StartExecution)",
    );
    expect(campaigns?.fix).toContain("aws stepfunctions start-execution");
  });

  it("fails a first sns deploy on the SMS sandbox and the unconfirmed operators' subscription, warning on empty optional secrets, the $1 limit and alarms without data", async () => {
    account.state = firstDeploy("sns");
    const results = await runDoctor("Shopcare", clients());
    expect(statusOf(results)).toEqual({
      stack: "ok",
      "webhook-secret.generic": "ok",
      "webhook-secret.shopify": "warn",
      "webhook-secret.kuaidi100": "warn",
      "kuaidi100-account": "fail",
      "parcel-subscriptions": "ok",
      "sns-sandbox": "fail",
      "sns-spend-limit": "warn",
      "operators-subscription": "fail",
      alarms: "warn",
      "dead-letters.events": "ok",
      "dead-letters.inbound": "ok",
      "state-machine-versions": "ok",
    });
    for (const result of results.filter((r) => r.status !== "ok")) expect(result.fix).toBeTruthy();
    expect(results.find((r) => r.check === "operators-subscription")?.summary).toMatch(
      /wait for confirmation/,
    );
  });

  it("reads the share of the week's shipped parcels Kuaidi100 took from the day tallies, naming the hand-offs", async () => {
    // Arrange: 200 parcels filed this week (one day 8 days back left out), 180 subscribed, 15 refused, 5 in flight.
    const state = ready("sns");
    const today = new Date().toISOString().slice(0, 10);
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
    state.parcelTallies = {
      [daysAgo(8)]: { filed: 1000, handedOff: 1000 },
      [daysAgo(2)]: { filed: 120, subscribed: 110, handedOff: 10 },
      [today]: { filed: 80, subscribed: 70, handedOff: 5 },
    };
    account.state = state;

    // Act
    const results = await runDoctor("Shopcare", clients());
    const share = results.find((result) => result.check === "parcel-subscriptions");

    // Assert: 180 of the 195 settled is 92%, under 95%.
    expect(share).toMatchObject({
      status: "warn",
      summary:
        "180 of 200 shipped parcels subscribed with Kuaidi100 in the last 7 days (5 still being tried): 15 refused after every retry (tracking-not-subscribed) — no arrival or delivery notice goes out for those",
    });
    expect(share?.fix).toMatch(/tracking-not-subscribed hand-offs/);
    expect(account.calls).toContain("dynamodb.Query");
  });

  it("passes every check once the first-deploy steps are done", async () => {
    account.state = ready("sns");
    const results = await runDoctor("Shopcare", clients());
    expect(results.filter((result) => result.status !== "ok")).toEqual([]);
  });

  it("fails on dead letters waiting (naming the replay command), a machine near the version quota, a spend limit nearly used and a firing alarm", async () => {
    const state = ready("sns");
    const outputs = state.stacks.Shopcare?.outputs as Record<string, string>;
    state.queueDepths[outputs.EventsDeadLetterQueueUrl as string] = 3;
    const [firstMachine] = Object.keys(state.machineVersions) as [string];
    state.machineVersions[firstMachine] = 960;
    state.sns.monthToDateSpent = 190;
    state.alarms[0] = { name: "Shopcare-Alarm0", state: "ALARM" };
    account.state = state;
    const results = await runDoctor("Shopcare", clients());
    const failed = Object.fromEntries(results.filter((r) => r.status === "fail").map((r) => [r.check, r]));
    expect(Object.keys(failed).sort()).toEqual([
      "alarms",
      "dead-letters.events",
      "sns-spend-limit",
      "state-machine-versions",
    ]);
    expect(failed["dead-letters.events"]?.fix).toContain("npx shopcare replay --dead-letters");
    expect(failed["state-machine-versions"]?.summary).toContain("960 of 1000");
  });

  it("follows links.baseUrl to the link function's 404 page, and fails a base URL that reaches something else or nothing", async () => {
    // Arrange: the link handler behind a real HTTP server (the mapped domain), and a server that is not it.
    const linkFunction = await startHttpServer([
      {
        method: "GET",
        path: LINK_PATH,
        handler: createLinkHandler({
          links: { getLink: async () => undefined },
          clicks: { record: () => {} },
          clock: { now: () => new Date(), sleepUntil: async () => {} },
        }),
      },
    ]);
    const somethingElse = await startHttpServer([]);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const checkWith = async (baseUrl: string) => {
      const state = ready("sns");
      (state.stacks.Shopcare?.outputs as Record<string, string>).ShortLinkBaseUrl = baseUrl;
      account.state = state;
      return (await runDoctor("Shopcare", clients())).find((result) => result.check === "short-links");
    };

    // Act
    let results: (CheckResult | undefined)[];
    try {
      results = [
        await checkWith(`${linkFunction.url}/`),
        await checkWith(somethingElse.url),
        await checkWith(closed),
      ];
    } finally {
      await linkFunction.close();
      await somethingElse.close();
    }

    // Assert
    expect(results.map((result) => result?.status)).toEqual(["ok", "fail", "fail"]);
    expect(results[1]?.summary).toBe(
      `${somethingElse.url}/l/00000000 answered 404, not the link function's 404`,
    );
    expect(results[1]?.fix).toContain("set links.baseUrl to the LinkBaseUrl output");
    expect(results[2]?.summary).toMatch(/could not be fetched/);
  });

  it("checks End User Messaging's sandbox, origination identity and configuration set", async () => {
    account.state = firstDeploy("end-user-messaging");
    const first = statusOf(await runDoctor("Shopcare", clients()));
    expect(first).toMatchObject({
      "eum-account": "fail",
      "eum-origination": "fail",
      "eum-configuration-set": "fail",
      "eum-spend-limit": "warn",
    });
    expect(first["sns-sandbox"]).toBeUndefined();
    const fixed = ready("end-user-messaging");
    account.state = fixed;
    expect((await runDoctor("Shopcare", clients())).filter((r) => r.status !== "ok")).toEqual([]);
    // An event destination that points elsewhere delivers no receipts to shopcare.
    const elsewhere = ready("end-user-messaging");
    elsewhere.eum.configurationSets.shopcare = {
      topicArn: "arn:aws:sns:ap-southeast-1:111122223333:other",
      enabled: true,
    };
    account.state = elsewhere;
    expect(statusOf(await runDoctor("Shopcare", clients()))["eum-configuration-set"]).toBe("fail");
  });

  it("fails an Aliyun deploy whose AccessKey is still empty", async () => {
    account.state = firstDeploy("aliyun");
    const results = await runDoctor("Shopcare", clients());
    const aliyun = results.find((r) => r.check === "aliyun-secret");
    expect(aliyun).toMatchObject({ status: "fail" });
    expect(aliyun?.summary).toContain("accessKeyId, accessKeySecret");
    account.state = ready("aliyun");
    expect((await runDoctor("Shopcare", clients())).filter((r) => r.status !== "ok")).toEqual([]);
  });

  it("asks Aliyun, with the stack's AccessKey, whether every template the config sends is approved", async () => {
    // Arrange: templates registered at a fake of Aliyun's API, one still in review, then one rejected.
    const aliyun = await new FakeAliyunSms("LTAI1", "s").start();
    const previous = process.env.SHOPCARE_ALIYUN_SMS_URL;
    process.env.SHOPCARE_ALIYUN_SMS_URL = aliyun.url;
    // The contract's Aliyun config, without its Shopify shop (whose checks read the table).
    const config = parseShopConfig({ ...(PROVIDER_CONFIGS.aliyun as object), shopify: {} });
    const codes = config.sms.aliyun.templateCodes;
    for (const [name, code] of Object.entries(codes))
      aliyun.templates.push({ code, name, content: name, type: "1", status: "1", looks: 0 });
    const [first, second] = aliyun.templates;
    account.state = ready("aliyun");

    try {
      // Act
      (first as { status: string }).status = "0";
      const inReview = await runDoctor("Shopcare", clients(), config);
      (second as { status: string }).status = "2";
      const rejected = await runDoctor("Shopcare", clients(), config);
      (first as { status: string }).status = "1";
      (second as { status: string }).status = "1";
      const approved = await runDoctor("Shopcare", clients(), config);

      // Assert
      expect(statusOf(inReview)["aliyun-templates"]).toBe("warn");
      expect(inReview.find((r) => r.check === "aliyun-templates")?.summary).toContain(first?.code);
      expect(statusOf(rejected)["aliyun-templates"]).toBe("fail");
      expect(rejected.find((r) => r.check === "aliyun-templates")?.summary).toContain("模板内容不符合规范");
      expect(statusOf(approved)["aliyun-templates"]).toBe("ok");
      expect(aliyun.actions.filter((action) => action === "GetSmsTemplate").length).toBe(
        3 * aliyunTemplatesOf(config).length,
      );
    } finally {
      if (previous === undefined) delete process.env.SHOPCARE_ALIYUN_SMS_URL;
      else process.env.SHOPCARE_ALIYUN_SMS_URL = previous;
      await aliyun.stop();
    }
  });

  it("runs as `npx shopcare doctor`: a report with fixes and exit 1 on a failing check, --json, exit 0 when ready, and a missing stack named", async () => {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: account.url,
      AWS_REGION: "ap-southeast-1",
      AWS_ACCESS_KEY_ID: "AKIDTEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_MAX_ATTEMPTS: "1",
    };
    account.state = firstDeploy("sns");
    const failing = await run(process.execPath, [CLI, "doctor", "--stack", "Shopcare"], { env }).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(failing.code, (failing as { stderr?: string }).stderr).toBe(1);
    expect(failing.stdout, (failing as { stderr?: string }).stderr).toContain(
      "FAIL sns-sandbox: the account is in the SNS SMS sandbox",
    );
    expect(failing.stdout).toMatch(/fix: request production access/);
    expect(failing.stdout).toMatch(/^3 failed, 4 warnings, 7 ok$/m);

    const json = await run(process.execPath, [CLI, "doctor", "--json"], { env }).catch(
      (error: { stdout: string }) => error,
    );
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ stack: "Shopcare", failed: true });
    expect(parsed.checks).toHaveLength(14);

    account.state = ready("sns");
    const passing = await run(process.execPath, [CLI, "doctor"], { env });
    expect(passing.stdout).toMatch(/^0 failed, 0 warnings, 14 ok$/m);
    expect(passing.stdout).toContain(`ok   opt-out-line: every marketing template ends with "拒收请回复R"`);

    const missing = await run(process.execPath, [CLI, "doctor", "--stack", "Nope"], { env }).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("FAIL stack: no stack Nope in this account and region");
  });
});
