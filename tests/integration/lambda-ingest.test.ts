import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { WEBHOOK_ACCEPTED_LOG } from "../../functions/handlers/ingest.js";
import { logger } from "../../functions/handlers/logger.js";
import { FakeAccount, type FakeAccountState } from "../support/fake-account.js";
import { FakeAws } from "../support/fake-aws.js";
import { freshTable } from "../support/local.js";
import { genericHeaders } from "../support/webhooks.js";

/**
 * The ingest Lambda's own entry file (`functions/lambda/ingest.ts`), loaded as Lambda loads it: the
 * compiled config and the stack's environment, real SDK clients resolving their endpoints from the
 * environment (DynamoDB Local, a Secrets Manager fake, an SQS fake).
 */
const SECRET_ARN = "arn:aws:secretsmanager:ap-southeast-1:111122223333:secret:Shopcare-WebhookSecrets-AbCdEf";
const secrets = new FakeAccount({
  stacks: {},
  secrets: { [SECRET_ARN]: JSON.stringify({ generic: "g-secret", shopify: "", kuaidi100: "" }) },
} as unknown as FakeAccountState);
const sqs = new FakeAws();

function webhook(body: string, now: Date): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "POST /webhooks/generic",
    rawPath: "/webhooks/generic",
    rawQueryString: "",
    headers: genericHeaders(body, now, "g-secret"),
    requestContext: { http: { method: "POST", path: "/webhooks/generic" }, timeEpoch: now.getTime() },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The variables the Lambda entry reads, set for this file and put back after it (test files share a worker). */
let savedEnvironment: Record<string, string | undefined> = {};

beforeAll(async () => {
  await Promise.all([secrets.start(), sqs.start()]);
  const environment = {
    SHOPCARE_CONFIG: JSON.stringify(parseShopConfig({})),
    TABLE_NAME: await freshTable("lambda-ingest"),
    EVENTS_QUEUE_URL: `${sqs.url}/111122223333/Shopcare-Events`,
    WEBHOOK_SECRET_ARN: SECRET_ARN,
    // DynamoDB Local keeps a table per access key and region: those the suite's tables are made with.
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  };
  savedEnvironment = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  ({ handler } = await import("../../functions/lambda/ingest.js"));
});
afterAll(async () => {
  for (const [name, value] of Object.entries(savedEnvironment))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  vi.useRealTimers();
  await Promise.all([secrets.stop(), sqs.stop()]);
});

describe("the ingest Lambda entry", () => {
  it("reads the webhook secret once per 5 minutes, not per request (Powertools' own cache is 5 s)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = new Date("2026-12-01T08:00:00Z");
    const order = (id: string) =>
      JSON.stringify({
        type: "order.created",
        at: "2026-12-01T16:00:00+08:00",
        order: { id, customer: { id: "c1", phone: "+8613800000000", name: "王芳" }, amount: 129 },
      });
    for (const [offsetSeconds, id] of [
      [0, "o1"],
      [6, "o2"],
      [240, "o3"],
    ] as const) {
      const now = new Date(start.getTime() + offsetSeconds * 1000);
      vi.setSystemTime(now);
      const response = await handler(webhook(order(id), now));
      expect(response.statusCode, response.body).toBe(202);
    }
    expect(secrets.calls.filter((call) => call === "secretsmanager.GetSecretValue")).toHaveLength(1);
    expect(sqs.queued.map((message) => JSON.parse(message.body).order.id)).toEqual(["o1", "o2", "o3"]);
    // Past the 5 minutes, a rotated secret is read again.
    const later = new Date(start.getTime() + 301_000);
    vi.setSystemTime(later);
    expect((await handler(webhook(order("o4"), later))).statusCode).toBe(202);
    expect(secrets.calls.filter((call) => call === "secretsmanager.GetSecretValue")).toHaveLength(2);
  });

  it("logs each accepted delivery as the JSON line the WebhooksAccepted metric filter counts", async () => {
    vi.useRealTimers();
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    logger.setLogLevel("INFO");
    try {
      const body = JSON.stringify({ type: "order.paid", at: "2026-12-01T16:00:00+08:00", orderId: "o1" });
      expect((await handler(webhook(body, new Date()))).statusCode).toBe(202);
    } finally {
      logger.setLogLevel("SILENT");
      write.mockRestore();
    }
    const accepted = lines
      .flatMap((line) => line.split("\n"))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.message === WEBHOOK_ACCEPTED_LOG);
    // The filter's pattern is { $.message = "webhook accepted" } with the dimension service = $.service.
    expect(accepted).toEqual([
      expect.objectContaining({ service: "shopcare", source: "generic", events: 1 }),
    ]);
  });
});
