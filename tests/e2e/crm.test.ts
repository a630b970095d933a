import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { cli } from "../support/cli.js";
import { JOURNEYS_OFF } from "../support/config.js";
import { freshTable, virtualShop } from "../support/local.js";

/**
 * Issue 24 as an operator uses it: preview a segment, run campaigns on a running `shopcare start` (here on
 * a virtual clock), pause, resume and cancel them from the command line, and read their report.
 */

const CRM = ["--events", "examples/crm.jsonl", "--config", "examples/crm.json"];
const aws = {
  AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
};

function buyer(index: number, paidAt: string): ShopEvent[] {
  return [
    {
      type: "order.created",
      at: paidAt,
      order: {
        id: `o${index}`,
        customer: { id: `c${index}`, phone: `+86138${String(index).padStart(8, "0")}`, name: "王芳" },
        amount: 100 * index,
        currency: "CNY",
        paymentMethod: "online",
        gift: false,
        items: [{ category: "tea", quantity: 1 }],
      },
    } as ShopEvent,
    { type: "order.paid", at: paidAt, orderId: `o${index}` },
  ];
}

describe("shopcare segment: who a segment holds now", () => {
  it("prints an events file's segment count by stage and level and its most recent buyers, masked", async () => {
    const result = await cli(["segment", "buyers", ...CRM, "--sample", "2"]);

    expect(result.code).toBe(0);
    expect(result.stdout.split("\n").slice(0, 6)).toEqual([
      "segment buyers: 11 of 12 customers (at 2027-06-11T09:02)",
      "  by stage: churned 8, dormant 2, returning 1",
      "  by level: 银卡 7, (none) 3, 金卡 1",
      "  the 2 most recent buyers:",
      "    m5  +86138****0005  陈*  returning  金卡  4 orders  1,547.00 CNY  2027-06-11  浙江",
      "    m2  +86138****0002  李*  dormant  银卡  2 orders  347.00 CNY  2027-01-01  上海",
    ]);
  });

  it("names the segments there are when asked for one the config does not have, and says where the customers must come from", async () => {
    const unknown = await cli(["segment", "vip", ...CRM]);
    const nowhere = await cli(["segment", "buyers", "--config", "examples/crm.json"]);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'no segment "vip" in the config; known: buyers, repeat-buyers, multi-item, lapsed-tea, gold\n',
    );
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/^segment: one of --events FILE, --url URL or --table NAME says where/);
  });
});

describe("shopcare campaign on a running shop: status, pause, resume, cancel, report", () => {
  it("runs a campaign at its time, holds a paused one until it is resumed, ends a cancelled one, and reports each", async () => {
    const config = {
      sms: { ratePerSecond: 1 },
      // Two campaigns the same day: the caps let both through.
      caps: { marketingPerDay: 3, marketingPerWeek: 5 },
      segments: { buyers: { minPaidOrders: 1 } },
      // Buyers 2 and 3 (200 and 300 CNY) are 银卡: the report groups the campaigns' customers by level.
      members: { levels: [{ name: "银卡", minSpend: 200 }] },
      campaigns: ["newyear", "flash", "spring"].map((id, index) => ({
        id,
        segment: "buyers",
        at: `2026-06-10T1${index}:00:00+08:00`,
        template: "【{shop}】{name}，好礼相送。回T退订",
      })),
      journeys: JOURNEYS_OFF,
    };
    const tableName = `crm-${Date.now()}`;
    const { shop, clock, failures } = await virtualShop("2026-06-01T09:00:00+08:00", config, { tableName });
    const http = await startHttpServer(shop.routes);
    try {
      expect(shop.scheduleCampaigns()).toEqual(["newyear", "flash", "spring"]);
      await shop.queue.enqueue(
        [1, 2, 3].flatMap((index) => buyer(index, `2026-06-0${index}T10:00:00+08:00`)),
        "test",
      );
      await shop.queue.drain();
      const campaign = (...args: string[]) => cli(["campaign", ...args, "--url", http.url]);

      // flash is paused before its time, spring cancelled.
      expect((await campaign("pause", "flash")).stdout).toBe("campaign flash: paused\n");
      expect((await campaign("cancel", "spring")).stdout).toBe("campaign spring: cancelled\n");
      await clock.advanceTo(new Date("2026-06-10T12:30:00+08:00"));

      const newyear = await campaign("status", "newyear");
      const paused = await campaign("status", "flash", "--json");
      expect(newyear.stdout).toMatch(
        /^campaign newyear: running, finished \(segment buyers, 2026-06-10T10:00 → 2026-06-13T10:00\)\n/,
      );
      expect(newyear.stdout).toContain("  sent 3, skipped -, held 0\n");
      expect(JSON.parse(paused.stdout)).toMatchObject({ id: "flash", control: "paused", sent: 0 });

      expect((await campaign("resume", "flash")).stdout).toBe("campaign flash: running\n");
      // A paused campaign looks again after 5, 10 and 20 minutes, then every half hour (11:00, 11:05, 11:15,
      // 11:35, 12:05, 12:35).
      await clock.advanceTo(new Date("2026-06-10T12:40:00+08:00"));
      const resumed = JSON.parse((await campaign("status", "flash", "--json")).stdout);
      const cancelled = JSON.parse((await campaign("status", "spring", "--json")).stdout);
      const again = await campaign("resume", "spring");
      const report = await cli(["report", "--url", http.url]);

      expect(resumed).toMatchObject({
        control: "running",
        sent: 3,
        progress: { phase: "finished", members: 3 },
      });
      expect(cancelled).toMatchObject({ control: "cancelled", sent: 0, progress: { phase: "cancelled" } });
      expect(again.stdout).toBe("campaign spring: cancelled (unchanged)\n");
      expect(report.stdout).toMatch(/^campaign +\(all\) +3 +6 /m);
      expect(report.stdout).toMatch(/^campaign +level:银卡 +4 +2 /m);
      expect(report.stdout).toContain(
        "campaign flash (segment buyers, 2026-06-10T11:00:00+08:00): 3 members, 3 sent",
      );
      const outbox = (await shop.store.listOutbox()).filter((entry) => entry.kind === "sms");
      expect(outbox).toHaveLength(6);
      expect(failures).toEqual([]);

      // The deployed table answers the same (the CLI with AWS credentials, here DynamoDB Local).
      const configFile = join(await mkdtemp(join(tmpdir(), "crm-")), "shop.json");
      await writeFile(configFile, JSON.stringify(config));
      const onTable = await cli(
        ["campaign", "status", "newyear", "--table", tableName, "--config", configFile, "--json"],
        aws,
      );
      expect(JSON.parse(onTable.stdout)).toMatchObject({ id: "newyear", sent: 3 });
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("backfills a deployed table's profiles from its orders (backfill --table)", async () => {
    const tableName = await freshTable("backfill-cli");

    const empty = await cli(["backfill", "--table", tableName], aws);
    const missing = await cli(["backfill"], aws);

    expect(empty).toMatchObject({
      code: 0,
      stdout:
        "kept 0 paid orders of 0 customers on their profiles (0 of 0 orders not paid or not known yet)\n",
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^backfill: --table NAME \(the stack output TableName\) is required/);
  });

  it("says which campaigns there are when asked for one the config does not have", async () => {
    const result = await cli(
      ["campaign", "pause", "nope", "--table", "no-such-table", "--config", "examples/crm.json"],
      aws,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('no campaign "nope" in the config; known: newyear-2027, warmup-618\n');
  });
});
