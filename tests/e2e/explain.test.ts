import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { configVersion, parseShopConfig } from "../../functions/core/config/config.js";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { cli } from "../support/cli.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { genericHeaders } from "../support/webhooks.js";

describe("shopcare explain: why did (or didn't) this customer get a message?", () => {
  it("prints an events file's customer timeline oldest first, with the config version of each decision, numbers masked unless --show-phone", async () => {
    const cdk = JSON.parse(await readFile(new URL("../../cdk.json", import.meta.url), "utf8"));
    const version = configVersion(parseShopConfig(cdk.context?.shop));

    const text = await cli(["explain", "--customer", "zhou", "--events", "examples/seeds-care.jsonl"]);
    const json = await cli([
      "explain",
      "--customer",
      "zhou",
      "--events",
      "examples/seeds-care.jsonl",
      "--json",
      "--show-phone",
    ]);

    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[0]).toBe("2026-06-01 10:00:00  event     order.created P2 (events file, event 7)");
    expect(lines).toContain("2026-06-03 10:20:00  event     order.reminded P3 (events file, event 11)");
    expect(lines).toContain(
      `2026-06-04 16:00:00  decision  logistics.stalled · order P2 · handoff parcel-stalled · logistics.handoff · to +86138****0012 · config ${version}`,
    );
    const entries = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const reminder = entries.find(
      (entry) => entry.kind === "decision" && entry.orderId === "P3" && entry.step === "first",
    );
    expect(reminder).toMatchObject({
      at: "2026-06-03T16:20:00.000+08:00",
      template: "payment-reminder.first-returning",
      to: "+8613800000012",
      configVersion: version,
    });
    const times = entries.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Other customers' lines are not there.
    expect(
      entries.every((entry) => entry.orderId === undefined || ["P2", "P3"].includes(entry.orderId)),
    ).toBe(true);
  });

  it("says a marketing step the frequency cap holds is pending for the cap", async () => {
    // Both gifts fall due at the same slot; the caps let one through a day.
    const config = { journeys: { gift30: { after: "1d" }, gift100: { after: "1d" } } };
    const { shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00", config);
    const http = await startHttpServer(shop.routes);
    try {
      await shop.queue.enqueue(
        [
          orderCreated("2026-06-18T10:00:00+08:00", { id: "f1", customerId: "c-capped" }),
          { type: "order.paid", at: "2026-06-18T10:05:00+08:00", orderId: "f1" },
        ],
        "test",
      );
      await shop.queue.drain();
      // Due a day after the payment, at the next slot (17:00): one is sent, the other held.
      await clock.advanceTo(new Date("2026-06-19T17:30:00+08:00"));

      const result = await cli(["explain", "--customer", "c-capped", "--url", http.url]);

      const gifts = result.stdout
        .split("\n")
        .filter((line) => /gift-(30|100)/.test(line) && !line.includes("execution"));
      expect(gifts).toEqual([
        expect.stringMatching(/^2026-06-19 17:00:00 {2}decision {2}gift-(30|100)\.gift · order f1 · sent/),
        expect.stringMatching(
          /^2026-06-20 10:00:00 {2}pending {3}gift-(30|100)\.gift order f1 due then \(frequency cap \(1 a day, 3 a week: held to the next free slot\)\)$/,
        ),
      ]);
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("shows a customer's clicks on their links, and the report counts them", async () => {
    // Arrange: a first reminder with a tracked link, followed twice from one phone within a minute.
    const config = {
      links: {
        baseUrl: "https://s.shop.cn",
        targets: { "payment-reminder": "https://shop.cn/pay/{orderId}" },
      },
      journeys: {
        paymentReminder: { templates: { first: "【{shop}】{name}您好，订单{orderId}待付款：{link}" } },
      },
    };
    const { shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00", config);
    const http = await startHttpServer(shop.routes);
    try {
      await shop.queue.enqueue(
        [orderCreated("2026-06-18T10:00:00+08:00", { id: "k1", customerId: "c-clicks" })],
        "test",
      );
      await shop.queue.drain();
      await clock.advanceTo(new Date("2026-06-18T11:30:00+08:00"));
      const [sent] = (await shop.store.listDecisions()).filter((d) => d.outcome === "sent");
      for (let tap = 0; tap < 2; tap += 1)
        await fetch(`${http.url}/l/${sent?.link}`, { redirect: "manual" }).then((r) => r.arrayBuffer());
      await shop.clicks.settled();

      // Act
      const explained = await cli(["explain", "--customer", "c-clicks", "--url", http.url]);
      const report = await cli(["report", "--url", http.url]);

      // Assert
      expect(explained.stdout.split("\n").filter((line) => line.includes("click "))).toEqual([
        "2026-06-18 11:30:00  click     payment-reminder.first order k1 link followed 1 time(s), last 2026-06-18 11:30:00 → https://shop.cn/pay/k1",
      ]);
      expect(report.stdout).toMatch(/^payment-reminder .* 1\/1 \(100\.0%\), 1 click /m);
    } finally {
      shop.stop();
      await http.close();
    }
  });

  describe("a running shop (--url) and its table (--table)", () => {
    let shop: LocalShop;
    let clock: VirtualClock;
    let http: Awaited<ReturnType<typeof startHttpServer>>;
    const tableName = `explain-${Date.now()}`;
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };

    beforeAll(async () => {
      ({ shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00", {}, { tableName }));
      http = await startHttpServer(shop.routes);
      for (const event of [
        orderCreated("2026-06-18T10:00:00+08:00", { id: "e1", customerId: "c-explain" }),
        orderCreated("2026-06-18T21:30:00+08:00", { id: "e2", customerId: "c-explain" }),
      ]) {
        await clock.advanceTo(new Date(event.at));
        const body = JSON.stringify(event);
        await fetch(`${http.url}/webhooks/generic`, {
          method: "POST",
          body,
          headers: {
            ...genericHeaders(body, clock.now()),
            "x-shopcare-webhook-id": `wh-${(event as { order: { id: string } }).order.id}`,
          },
        });
        await shop.queue.drain();
      }
    });
    afterAll(async () => {
      shop.stop();
      await http.close();
    });

    it("shows the events received with their webhook ids, a decision made, and the steps still pending with the rule that set their time", async () => {
      const result = await cli(["explain", "--customer", "c-explain", "--url", http.url]);

      expect(result.code).toBe(0);
      expect(result.stdout.trim().split("\n")).toEqual([
        "2026-06-18 10:00:00  event     order.created e1 (generic, generic-wh-e1)",
        "2026-06-18 10:00:00  started   payment-reminder execution payment-reminder-e1",
        expect.stringMatching(
          /^2026-06-18 11:00:00 {2}decision {2}payment-reminder\.first · order e1 · sent · payment-reminder\.first · to \+86138\*\*\*\*0000 · "【Shop】/,
        ),
        "2026-06-18 21:30:00  event     order.created e2 (generic, generic-wh-e2)",
        "2026-06-18 21:30:00  started   payment-reminder execution payment-reminder-e2",
        // e2's first reminder falls at 22:30, after the notice window closes: held to 08:00.
        "2026-06-19 08:00:00  pending   payment-reminder.first order e2 due then (notice window)",
        "2026-06-19 10:00:00  pending   payment-reminder.second order e1 due then (delay)",
      ]);
    });

    it("reads the same from the deployed table (--table), by order and by phone", async () => {
      const byCustomer = await cli(
        ["explain", "--customer", "c-explain", "--table", tableName, "--since", "400"],
        env,
      );
      const byOrder = await cli(["explain", "--order", "e2", "--table", tableName, "--since", "400"], env);
      const byPhone = await cli(["explain", "--phone", "+8613800000000", "--url", http.url, "--json"]);

      expect(byCustomer.stderr).toBe("");
      expect(byCustomer.stdout).toContain("order.created e2 (generic, generic-wh-e2)");
      // The table is read at the CLI's own time, months after this shop's virtual June: the reminders
      // are pending still (nothing on this machine runs them) and are due at once, past their deadline.
      expect(byCustomer.stdout).toMatch(
        /pending {3}payment-reminder\.second order e1 due then \(deadline \(auto-closed\)\)/,
      );
      const orderLines = byOrder.stdout.trim().split("\n");
      expect(orderLines[0]).toBe("2026-06-18 21:30:00  event     order.created e2 (generic, generic-wh-e2)");
      expect(orderLines[1]).toBe(
        "2026-06-18 21:30:00  started   payment-reminder execution payment-reminder-e2",
      );
      expect(orderLines[2]).toMatch(
        /pending {3}payment-reminder\.first order e2 due then \(deadline \(auto-closed\)\)$/,
      );
      expect(orderLines).toHaveLength(3);
      const kinds = byPhone.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).kind);
      expect(kinds).toEqual(["event", "execution", "decision", "event", "execution", "pending", "pending"]);
    });

    it("names the missing subject in one line", async () => {
      const result = await cli(["explain", "--url", http.url]);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "explain: one of --customer ID, --order ID or --phone P says whom to explain (shopcare explain --help)\n",
      );
    });
  });
});
