import { describe, expect, it } from "vitest";
import { TABLE_KEYS } from "../../functions/adapters/dynamodb/store.js";
import { ACCOUNT, REGION } from "../support/cfn.js";

import { type Call, decide, denied, functionOf, resolvedFor } from "../support/iam-contract.js";

describe("short links (GET /l/{code} on the HTTP API, clicks counted from the link function's log)", () => {
  it("lets API Gateway invoke the link function, which may only read the table; CloudWatch Logs invoke the clicks function, which may only update it and reach its on-failure queue", async () => {
    // Arrange
    const { resolved } = resolvedFor("sns");
    const byHandler = (name: string) => functionOf(resolved, name);
    const link = byHandler("link");
    const clicks = byHandler("clicks");
    const env = resolved.resolve(resolved.resources[link]?.Properties.Environment.Variables) as Record<
      string,
      string
    >;
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${env.TABLE_NAME}`;
    const as =
      (fn: string) =>
      (action: string, resource = table): Call => ({
        label: `${fn === link ? "link" : "clicks"} → ${action} ${resource}`,
        principal: resolved.attr(resolved.roleOf(fn), "Arn"),
        identityPolicies: resolved.rolePolicies(resolved.roleOf(fn)),
        action,
        resource,
      });
    const apiId = resolved.idsOf("AWS::ApiGatewayV2::Api")[0] as string;
    // The subscription filter's log group: the link function's, whose ARN is what Logs invokes from.
    const filter = resolved.resources[resolved.idsOf("AWS::Logs::SubscriptionFilter")[0] as string];
    const logGroupName = resolved.resolve(filter?.Properties.LogGroupName) as string;
    expect(resolved.resolve(filter?.Properties.DestinationArn)).toBe(resolved.attr(clicks, "Arn"));
    expect(filter?.Properties.FilterPattern).toBe('{ $.type = "shopcare.click" }');
    // Text log format: the click lines the function writes to stdout reach the log as written, JSON the
    // filter pattern reads ("Log and monitor Node.js Lambda functions", Lambda developer guide).
    expect(resolved.resources[link]?.Properties.LoggingConfig?.LogFormat ?? "Text").toBe("Text");
    expect(logGroupName).toBe(resolved.resolve(resolved.resources[link]?.Properties.LoggingConfig?.LogGroup));
    const dlqArn = resolved.resolve(
      resolved.resources[
        resolved
          .idsOf("AWS::Lambda::EventInvokeConfig")
          .find(
            (id) =>
              resolved.resolve(resolved.resources[id]?.Properties.FunctionName) === resolved.ref(clicks),
          ) as string
      ]?.Properties.DestinationConfig.OnFailure.Destination,
    ) as string;
    const dlqId = resolved
      .idsOf("AWS::SQS::Queue")
      .find((id) => resolved.attr(id, "Arn") === dlqArn) as string;
    // What customers send back and could not be taken in: the inbound failures queue, alarmed on.
    expect(dlqId).toMatch(/^InboundDeadLetters/);
    const logsInvokeClicks = (group: string): Call => ({
      label: `CloudWatch Logs → clicks for the log group ${group}`,
      principal: "logs.amazonaws.com",
      action: "lambda:InvokeFunction",
      resource: resolved.attr(clicks, "Arn"),
      context: { "aws:SourceArn": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:*` },
      resourcePolicy: resolved.functionPolicy(clicks),
    });
    const calls: Call[] = [
      as(link)("dynamodb:GetItem"),
      as(clicks)("dynamodb:UpdateItem"),
      {
        label: "API Gateway → link for GET /l/{code}",
        principal: "apigateway.amazonaws.com",
        action: "lambda:InvokeFunction",
        resource: resolved.attr(link, "Arn"),
        context: {
          "aws:SourceArn": `arn:aws:execute-api:${REGION}:${ACCOUNT}:${resolved.ref(apiId)}/$default/GET/l/{code}`,
        },
        resourcePolicy: resolved.functionPolicy(link),
      },
      logsInvokeClicks(logGroupName),
      {
        ...as(clicks)("sqs:SendMessage", dlqArn),
        label: "clicks on-failure destination → sqs:SendMessage",
        resourcePolicy: resolved.queuePolicy(dlqId),
      },
    ];
    const refusals = [
      as(link)("dynamodb:UpdateItem"),
      as(link)("dynamodb:PutItem"),
      as(link)("dynamodb:Query", `${table}/index/${TABLE_KEYS.gsi1}`),
      as(link)("dynamodb:GetItem", `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/another-table`),
      as(clicks)("dynamodb:GetItem"),
      as(clicks)("dynamodb:PutItem"),
      as(clicks)("dynamodb:DeleteItem"),
      as(clicks)("dynamodb:Scan"),
      logsInvokeClicks("/aws/lambda/other"),
    ];

    // Act
    const failures = await denied(calls);
    const refused = await Promise.all(refusals.map(async (call) => `${call.label}: ${await decide(call)}`));

    // Assert
    expect(failures).toEqual([]);
    for (const decision of refused) expect(decision).not.toMatch(/: Allowed$/);
  });
});
