import { gzipSync } from "node:zlib";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, inject, it, vi } from "vitest";
import { ClickCounts } from "../../functions/adapters/dynamodb/click-counts.js";
import { LinkReads } from "../../functions/adapters/dynamodb/link-reads.js";
import { LinkTable } from "../../functions/adapters/dynamodb/links.js";
import { Table } from "../../functions/adapters/dynamodb/table.js";
import { clientBucket, LINK_CODE, mintLink } from "../../functions/core/engine/links.js";
import { reportOfStore } from "../../functions/core/insight/store-report.js";
import { createClicksHandler } from "../../functions/handlers/clicks.js";
import { createLinkHandler, logClickRecorder } from "../../functions/handlers/link.js";
import { localDynamoClient } from "../../functions/local/emulator/dynamodb-local.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { freshTable, orderCreated, virtualShop } from "../support/local.js";

/** Issue 25 (short links): `{link}` in a message, `GET /l/{code}` on the real HTTP server over DynamoDB Local. */

const LINKS = {
  links: {
    baseUrl: "https://s.shop.cn",
    targets: { "payment-reminder": "https://shop.cn/pay/{orderId}?c={customerId}" },
    keepFor: "2h",
  },
  journeys: {
    paymentReminder: {
      templates: { first: "【{shop}】{name}您好，订单{orderId}还未付款，点击支付：{link}" },
    },
  },
};

const PHONE_A = "Mozilla/5.0 (iPhone) phone-a";
const PHONE_B = "Mozilla/5.0 (Linux; Android) phone-b";

describe("tracked short links", () => {
  it("gives each send its own code that redirects to its target, counts a client's repeats within a minute once, and answers 404 writing nothing for a bad, unknown or expired code", async () => {
    // Arrange: two orders left unpaid; their first reminders go out at 11:00 with a link each.
    expect(clientBucket("127.0.0.1", PHONE_A)).not.toBe(clientBucket("127.0.0.1", PHONE_B));
    const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00", LINKS);
    const http = await startHttpServer(shop.routes);
    const follow = (code: string, userAgent = PHONE_A) =>
      fetch(`${http.url}/l/${code}`, { redirect: "manual", headers: { "user-agent": userAgent } });
    const results: { status: number; location: string | null }[] = [];
    const record = async (response: Promise<Response>) => {
      const answer = await response;
      results.push({ status: answer.status, location: answer.headers.get("location") });
      await answer.arrayBuffer();
    };
    let itemsBefore: unknown[] = [];
    let itemsAfter: unknown[] = [];
    try {
      await shop.queue.enqueue(
        [
          orderCreated("2026-06-18T10:00:00+08:00", { id: "p1", customerId: "alice" }),
          orderCreated("2026-06-18T10:00:00+08:00", { id: "p2", customerId: "bob" }),
        ],
        "test",
      );
      await shop.queue.drain();
      await clock.advanceTo(new Date("2026-06-18T11:30:00+08:00"));
      const sent = (await shop.store.listDecisions()).filter((d) => d.outcome === "sent");
      const codeOf = (orderId: string) => sent.find((d) => d.orderId === orderId)?.link as string;

      // Act: alice taps her link three times in a minute from one phone, once from another, once more
      // a minute later; then come bad, unknown and (after `keepFor`) expired codes.
      await record(follow(codeOf("p1")));
      await record(follow(codeOf("p1")));
      await record(follow(codeOf("p1")));
      await record(follow(codeOf("p1"), PHONE_B));
      await clock.advanceTo(new Date("2026-06-18T11:31:01+08:00"));
      await record(follow(codeOf("p1")));
      await shop.clicks.settled();
      itemsBefore = await shop.store.scanAll();
      for (const bad of ["abc", "AAAAAAAAA", "AAAA%2FAA", "AAAAAAA-", "ZZZZZZZZ"]) await record(follow(bad));
      await clock.advanceTo(new Date("2026-06-18T13:00:01+08:00"));
      await record(follow(codeOf("p2")));
      await shop.clicks.settled();
      itemsAfter = await shop.store.scanAll();

      // Assert
      expect(failures).toEqual([]);
      expect(sent.map((d) => d.orderId).sort()).toEqual(["p1", "p2"]);
      for (const decision of sent) {
        expect(decision.link).toMatch(LINK_CODE);
        expect(decision.text).toContain(`https://s.shop.cn/l/${decision.link}`);
      }
      expect(codeOf("p1")).not.toBe(codeOf("p2"));
      const toAlice = { status: 302, location: "https://shop.cn/pay/p1?c=alice" };
      const gone = { status: 404, location: null };
      expect(results).toEqual([
        toAlice,
        toAlice,
        toAlice,
        toAlice,
        toAlice,
        gone,
        gone,
        gone,
        gone,
        gone,
        gone,
      ]);
      // Nothing a 404 answered wrote anything (the expired code's item is as it was, too).
      expect(itemsAfter).toEqual(itemsBefore);
      const [clicked, ...others] = await shop.store.listClickedLinks();
      expect(others).toEqual([]);
      expect(clicked).toMatchObject({
        code: codeOf("p1"),
        target: "https://shop.cn/pay/p1?c=alice",
        journey: "payment-reminder",
        step: "first",
        customerId: "alice",
        orderId: "p1",
        clicks: 3,
        firstClickAt: "2026-06-18T03:30:00.000Z",
        lastClickAt: "2026-06-18T03:31:01.000Z",
      });
      const report = await reportOfStore(shop.store, shop.config, clock.now());
      const reminder = report.journeys.find((journey) => journey.journey === "payment-reminder");
      expect(reminder).toMatchObject({ linked: 2, clicked: 1, clicks: 3, clickRate: 0.5 });
      expect(reminder?.steps.find((step) => step.step === "first")).toMatchObject({
        linked: 2,
        clicked: 1,
        clicks: 3,
      });
      expect(report.totals).toMatchObject({ linked: 2, clicked: 1, clicks: 3, clickRate: 0.5 });
    } finally {
      await http.close();
      shop.stop();
    }
  });

  it("draws another code when a drawn one is taken, leaving the first link's target as it was", async () => {
    // Arrange
    const table = new Table(localDynamoClient(inject("dynamoEndpoint")), await freshTable("links"));
    const links = new LinkTable(table);
    const link = {
      journey: "payment-reminder",
      step: "first",
      subjectId: "o1",
      createdAt: "2026-06-18T03:00:00.000Z",
      expiresAt: "2026-12-18T03:00:00.000Z",
    };
    await mintLink(links, { ...link, target: "https://shop.cn/first" }, () => "AAAAAAAA");
    const drawn = ["AAAAAAAA", "BBBBBBBB"];

    // Act
    const second = await mintLink(
      links,
      { ...link, target: "https://shop.cn/second" },
      () => drawn.shift() ?? "",
    );
    const at = new Date("2026-06-18T04:00:00Z");

    // Assert
    expect(second.code).toBe("BBBBBBBB");
    expect(await links.getLink("AAAAAAAA", at)).toEqual({ target: "https://shop.cn/first" });
    expect(await links.getLink("BBBBBBBB", at)).toEqual({ target: "https://shop.cn/second" });
  });

  it("reads and counts links on the in-memory table as on DynamoDB Local: repeats, unknown and expired codes", async () => {
    // Arrange
    const stores = {
      dynamodb: new LinkTable(
        new Table(localDynamoClient(inject("dynamoEndpoint")), await freshTable("links")),
      ),
      memory: new LinkTable(new Table(new MemoryTable(), "memory")),
    };
    const click = (code: string, client: string, at: string) => ({ code, client, at });
    const outcomes: Record<string, unknown[]> = {};
    for (const [name, links] of Object.entries(stores)) {
      await links.putLink({
        code: "Ab3dE9xZ",
        target: "https://shop.cn/x",
        journey: "campaign",
        step: "spring",
        subjectId: "spring:c1",
        customerId: "c1",
        variant: "a",
        createdAt: "2026-06-18T03:00:00.000Z",
        expiresAt: "2026-06-18T05:00:00.000Z",
      });
      // Act
      outcomes[name] = [
        await links.getLink("Ab3dE9xZ", new Date("2026-06-18T04:59:59Z")),
        await links.getLink("Ab3dE9xZ", new Date("2026-06-18T05:00:00Z")),
        await links.getLink("Zz3dE9xZ", new Date("2026-06-18T03:10:00Z")),
        await links.countClick(click("Ab3dE9xZ", "0a", "2026-06-18T03:10:00.000Z")),
        await links.countClick(click("Ab3dE9xZ", "0a", "2026-06-18T03:10:59.000Z")),
        await links.countClick(click("Ab3dE9xZ", "0b", "2026-06-18T03:10:59.000Z")),
        await links.countClick(click("Ab3dE9xZ", "0a", "2026-06-18T03:11:00.000Z")),
        await links.countClick(click("Zz3dE9xZ", "0a", "2026-06-18T03:11:00.000Z")),
        await links.countClick(click("Ab3dE9xZ", "0c", "2026-06-18T05:00:00.000Z")),
        (await links.listClickedLinks()).map(({ code, clicks, firstClickAt, lastClickAt, variant }) => ({
          code,
          clicks,
          firstClickAt,
          lastClickAt,
          variant,
        })),
      ];
    }

    // Assert
    expect(outcomes.dynamodb).toEqual([
      { target: "https://shop.cn/x" },
      undefined,
      undefined,
      true,
      false,
      true,
      true,
      false,
      false,
      [
        {
          code: "Ab3dE9xZ",
          clicks: 3,
          firstClickAt: "2026-06-18T03:10:00.000Z",
          lastClickAt: "2026-06-18T03:11:00.000Z",
          variant: "a",
        },
      ],
    ]);
    expect(outcomes.memory).toEqual(outcomes.dynamodb);
  });

  it("on AWS's wiring: the link function writes each click as a log line, and the clicks function counts the subscription's gzipped batches once however often one is delivered", async () => {
    // Arrange: the Lambdas' own adapters over DynamoDB Local; stdout captured as Lambda's log would be.
    const tableName = await freshTable("clicks");
    const doc = DynamoDBDocumentClient.from(localDynamoClient(inject("dynamoEndpoint")));
    const links = new LinkTable(new Table(localDynamoClient(inject("dynamoEndpoint")), tableName));
    const at = new Date("2026-06-18T03:10:00Z");
    await links.putLink({
      code: "Ab3dE9xZ",
      target: "https://shop.cn/x",
      journey: "gift-30",
      step: "gift",
      subjectId: "c1",
      customerId: "c1",
      createdAt: "2026-06-18T03:00:00.000Z",
      expiresAt: "2026-12-18T03:00:00.000Z",
    });
    const link = createLinkHandler({
      links: new LinkReads(doc, tableName),
      clicks: logClickRecorder,
      clock: { now: () => at, sleepUntil: async () => {} },
    });
    const clicks = createClicksHandler({ links: new ClickCounts(doc, tableName) });
    const written: string[] = [];
    const request = (code: string, userAgent: string) =>
      ({
        pathParameters: { code },
        requestContext: { http: { sourceIp: "203.0.113.9", userAgent } },
      }) as unknown as APIGatewayProxyEventV2;
    const batch = (messages: string[]) => ({
      awslogs: {
        data: gzipSync(
          JSON.stringify({
            messageType: "DATA_MESSAGE",
            logGroup: "/aws/lambda/link",
            logEvents: messages.map((message, index) => ({
              id: String(index),
              timestamp: at.getTime(),
              message,
            })),
          }),
        ).toString("base64"),
      },
    });

    // Act
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    let answers: unknown[];
    try {
      answers = [
        await link(request("Ab3dE9xZ", "phone-a")),
        await link(request("Ab3dE9xZ", "phone-b")),
        await link(request("Zz3dE9xZ", "phone-a")),
      ];
    } finally {
      stdout.mockRestore();
    }
    const lines = written.join("").trim().split("\n");
    const delivered = batch([...lines, '{"level":"INFO","message":"something else"}']);
    const first = await clicks(delivered);
    const again = await clicks(delivered);
    const control = await clicks({
      awslogs: {
        data: gzipSync(JSON.stringify({ messageType: "CONTROL_MESSAGE", logEvents: [] })).toString("base64"),
      },
    });

    // Assert
    expect(answers.map((answer) => (answer as { statusCode: number }).statusCode)).toEqual([302, 302, 404]);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        type: "shopcare.click",
        code: "Ab3dE9xZ",
        client: clientBucket("203.0.113.9", "phone-a"),
        at: at.toISOString(),
      },
      {
        type: "shopcare.click",
        code: "Ab3dE9xZ",
        client: clientBucket("203.0.113.9", "phone-b"),
        at: at.toISOString(),
      },
    ]);
    expect(first).toEqual({ counted: 2, repeats: 0 });
    expect(again).toEqual({ counted: 0, repeats: 2 });
    expect(control).toEqual({ counted: 0, repeats: 0 });
    expect((await links.listClickedLinks()).map(({ code, clicks }) => ({ code, clicks }))).toEqual([
      { code: "Ab3dE9xZ", clicks: 2 },
    ]);
  });
});
