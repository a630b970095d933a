import { describe, expect, it } from "vitest";
import { buildReport } from "../../functions/core/insight/report.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { orderCreated, virtualShop } from "../support/local.js";

/** Issue 23 §5: a reply that is not an opt-out reaches a person, with what it answers. */
describe("replies reach a person", () => {
  it("hands a reply to the operators with the message it answers, once however often it is pushed; flags a likely opt-out without applying it", async () => {
    const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00");
    const http = await startHttpServer(shop.routes);
    const reply = (text: string, at: string) =>
      fetch(`${http.url}/inbound/sms`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
        body: JSON.stringify({ from: "+8613800000000", text, at }),
      }).then((response) => response.json());
    let outcomes: unknown[] = [];
    try {
      await shop.queue.enqueue(
        [orderCreated("2026-06-18T10:00:00+08:00", { id: "r1", customerId: "asker" })],
        "test",
      );
      await shop.queue.drain();
      // The first reminder goes out at 11:00; the customer answers it.
      await clock.advanceTo(new Date("2026-06-18T11:30:00+08:00"));
      outcomes = [
        await reply("请问什么时候发货？", "2026-06-18T11:20:00+08:00"),
        // The provider pushes the same reply again.
        await reply("请问什么时候发货？", "2026-06-18T11:20:00+08:00"),
        await reply("别再发了", "2026-06-18T11:25:00+08:00"),
      ];
    } finally {
      await http.close();
      shop.stop();
    }

    expect(failures).toEqual([]);
    expect(outcomes).toEqual([
      { outcomes: ["handed-off"] },
      { outcomes: ["handed-off"] },
      { outcomes: ["handed-off"] },
    ]);
    const handoffs = (await shop.store.listOutbox())
      .filter((entry) => entry.kind === "handoff")
      .map((entry) => JSON.parse(entry.text))
      // Both were told at the same instant: in no set order.
      .sort((a, b) => a.reason.localeCompare(b.reason));
    expect(handoffs).toEqual([
      {
        journey: "payment-reminder",
        step: "first",
        orderId: "r1",
        customerId: "asker",
        reason: "reply",
        summary:
          'reply to payment-reminder.first (order r1) of 2026-06-18T11:00:00.000+08:00: "请问什么时候发货？"',
        details: {
          text: "请问什么时候发货？",
          from: "+8613800000000",
          likelyOptOut: "no",
          inReplyTo: "payment-reminder.first",
          sentAt: "2026-06-18T11:00:00.000+08:00",
        },
      },
      expect.objectContaining({
        reason: "reply-likely-opt-out",
        summary: expect.stringMatching(
          /^likely opt-out, confirm before applying: reply to payment-reminder\.first/,
        ),
        details: expect.objectContaining({ text: "别再发了", likelyOptOut: "yes" }),
      }),
    ]);
    // Kept with the customer; the likely opt-out is not applied.
    const replies = await shop.store.listReplies();
    expect(replies.map(({ text, customerId, likelyOptOut }) => [text, customerId, likelyOptOut])).toEqual([
      ["请问什么时候发货？", "asker", false],
      ["别再发了", "asker", true],
    ]);
    expect(replies.every((kept) => kept.handedOffAt !== undefined)).toBe(true);
    expect(await shop.store.getPhoneOptOut("+8613800000000")).toBeUndefined();
    // The report counts them against the step they answer.
    const report = buildReport(shop.config, await shop.store.listDecisions(), await shop.store.listOrders(), {
      replies,
    });
    const reminder = report.journeys.find((journey) => journey.journey === "payment-reminder");
    expect(reminder?.replies).toBe(2);
    // (The shop stopped before the second reminder was due.)
    expect(reminder?.steps.map(({ step, replies }) => [step, replies])).toEqual([["first", 2]]);
    expect(report.totals.replies).toBe(2);
  });
});
