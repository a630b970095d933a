import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { cli } from "../support/cli.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { postGeneric } from "../support/webhooks.js";

describe("shopcare whatif: the shop's own history under a candidate config", () => {
  let dir: string;
  let base: string;
  let candidate: string;
  let shop: LocalShop;
  let clock: VirtualClock;
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  const tableName = `whatif-${Date.now()}`;
  const history = [
    orderCreated("2026-06-18T10:00:00+08:00", { id: "w1", customerId: "c-w1" }),
    orderCreated("2026-06-18T10:10:00+08:00", { id: "w2", customerId: "c-w2" }),
    { type: "order.paid", at: "2026-06-18T10:45:00+08:00", orderId: "w2" },
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "shopcare-whatif-"));
    base = join(dir, "base.json");
    candidate = join(dir, "candidate.json");
    await writeFile(base, JSON.stringify({}));
    // 30 minutes instead of 60: w1's reminder moves; w2, paid after 35 minutes, now gets one (and its second
    // is planned, then skipped paid). The second reminder's text changes.
    await writeFile(
      candidate,
      JSON.stringify({
        journeys: {
          paymentReminder: {
            firstAfter: "30m",
            templates: { second: "【{shop}】{name}您好，订单{orderId}将于{closeAt}关闭，请及时付款。" },
          },
        },
      }),
    );
    ({ shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00", {}, { tableName }));
    http = await startHttpServer(shop.routes);
    for (const event of history) {
      await clock.advanceTo(new Date(event.at));
      const body = JSON.stringify(event);
      const response = await postGeneric(http.url, body, clock.now());
      expect(response.status).toBe(202);
    }
    await shop.queue.drain();
  });
  afterAll(async () => {
    shop.stop();
    await http.close();
  });

  const range = ["--from", "2026-06-18T00:00:00+08:00", "--to", "2026-06-19T00:00:00+08:00"];
  /** The changes the candidate makes to the history, oldest first. */
  const expectedChanges = [
    {
      change: "moved",
      step: "first",
      orderId: "w1",
      before: expect.objectContaining({ at: "2026-06-18T11:00:00.000+08:00", outcome: "sent" }),
      after: expect.objectContaining({ at: "2026-06-18T10:30:00.000+08:00", outcome: "sent" }),
    },
    {
      change: "moved",
      step: "first",
      orderId: "w2",
      before: expect.objectContaining({
        at: "2026-06-18T10:45:00.000+08:00",
        outcome: "skipped",
        reason: "paid",
      }),
      after: expect.objectContaining({ at: "2026-06-18T10:40:00.000+08:00", outcome: "sent" }),
    },
    {
      change: "added",
      step: "second",
      orderId: "w2",
      before: null,
      after: expect.objectContaining({
        at: "2026-06-18T10:45:00.000+08:00",
        outcome: "skipped",
        reason: "paid",
      }),
    },
    {
      change: "changed",
      step: "second",
      orderId: "w1",
      before: expect.objectContaining({ at: "2026-06-19T10:00:00.000+08:00", outcome: "sent" }),
      after: expect.objectContaining({
        at: "2026-06-19T10:00:00.000+08:00",
        text: "【Shop】王芳您好，订单w1将于06-21 10:00关闭，请及时付款。",
      }),
    },
  ].map((change) => expect.objectContaining({ journey: "payment-reminder", ...change }));
  const SUMMARY = "4 changed (added 1, moved 2, changed 1)";

  it("compares a running shop's archive (--url): steps before → after, and each changed decision in --out", async () => {
    const out = join(dir, "url.jsonl");

    const result = await cli([
      "whatif",
      "--config",
      candidate,
      "--base",
      base,
      "--url",
      http.url,
      ...range,
      "--out",
      out,
    ]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`what-if: 7 decisions before, 8 after, ${SUMMARY}`);
    expect(result.stdout).toContain("payment-reminder.first: sent 1 → 2 (+1), skipped paid 1 → 0 (−1)");
    const changes = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(changes).toEqual(expectedChanges);
  });

  it("reads a deployed table's archive (--table, DynamoDB Local behind the endpoint override) and exits 3 over --fail-over", async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
      // DynamoDB Local keeps tables per region and key: the ones the suite created them with.
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };

    const within = await cli(
      ["whatif", "--config", candidate, "--base", base, "--table", tableName, ...range, "--fail-over", "4"],
      env,
    );
    const over = await cli(
      ["whatif", "--config", candidate, "--base", base, "--table", tableName, ...range, "--fail-over", "3"],
      env,
    );

    expect(within.stderr).toBe("");
    expect(within.code).toBe(0);
    expect(within.stdout).toContain(SUMMARY);
    expect(over.code).toBe(3);
    expect(over.stderr).toContain("whatif: 4 decisions change, more than --fail-over 3");
  });

  it("replays an events file (--events), and names a missing --config", async () => {
    const events = join(dir, "events.jsonl");
    await writeFile(events, history.map((event) => JSON.stringify(event)).join("\n"));

    const result = await cli(["whatif", "--config", candidate, "--base", base, "--events", events]);
    const missing = await cli(["whatif", "--events", events]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(SUMMARY);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("whatif: --config candidate.json is required");
  });
});
