import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { simulate } from "../../functions/local/simulator/simulate.js";
import { dynamo, orderCreated, runSimulation, templateFor, virtualShop } from "../support/local.js";

const LIFECYCLE = new Set(["gift-30", "gift-100", "winback"]);

/**
 * Decision time to the second: sends due at the same slot leave the shared rate budget a few
 * milliseconds apart (`sms.ratePerSecond`), which is still the slot.
 */
const toSecond = (at: string) => `${at.slice(0, 19)}${at.slice(23)}`;

/** Who got which lifecycle message when, or why not; one line per decision. */
function lines(decisions: readonly DecisionRecord[]): string[] {
  return decisions
    .filter((d) => LIFECYCLE.has(d.journey))
    .map(
      (d) =>
        `${toSecond(d.at)} ${d.customerId} ${d.journey}.${d.step} ${d.outcome}${d.reason ? ` ${d.reason}` : ""}`,
    )
    .sort();
}

const phones = new Map<string, string>();
/** Each customer their own number: caps count per number too, so shared numbers would interfere. */
const phoneOf = (customerId: string) => {
  if (!phones.has(customerId)) phones.set(customerId, `+86139${String(phones.size).padStart(8, "0")}`);
  return phones.get(customerId) as string;
};

const buy = (customerId: string, orderId: string, created: string, paid: string, extra = {}): ShopEvent[] => [
  orderCreated(created, { id: orderId, customerId, phone: phoneOf(customerId), ...extra }),
  { type: "order.paid", at: paid, orderId },
];

describe("lifecycle journeys on the virtual clock (gift-30, gift-100, win-back)", () => {
  it("sends gifts and win-back at slot times, once per customer; repurchase, opt-out and refunds skip with reasons", async () => {
    const events: ShopEvent[] = [
      ...buy("alice", "a1", "2026-01-05T09:00:00+08:00", "2026-01-05T09:10:00+08:00"),
      ...buy("bob", "b1", "2026-01-05T13:50:00+08:00", "2026-01-05T14:00:00+08:00"),
      ...buy("bob", "b2", "2026-02-20T11:00:00+08:00", "2026-02-20T11:05:00+08:00"),
      ...buy("carol", "c1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00"),
      { type: "customer.opted_out", at: "2026-01-20T12:00:00+08:00", customerId: "carol" },
      ...buy("dave", "d1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00"),
      { type: "refund.completed", at: "2026-01-10T12:00:00+08:00", orderId: "d1", amount: 129 },
    ];

    const decisions = await runSimulation(events);

    expect(lines(decisions)).toEqual(
      [
        "2026-02-04T10:00:00+08:00 alice gift-30.gift sent",
        "2026-04-15T10:00:00+08:00 alice gift-100.gift sent",
        "2026-03-06T10:00:00+08:00 alice winback.first sent",
        "2026-05-05T10:00:00+08:00 alice winback.second sent",
        "2026-02-04T17:00:00+08:00 bob gift-30.gift sent",
        "2026-04-15T17:00:00+08:00 bob gift-100.gift sent",
        "2026-02-20T11:05:00+08:00 bob winback.first skipped repurchased",
        "2026-04-21T17:00:00+08:00 bob winback.first sent",
        "2026-06-20T17:00:00+08:00 bob winback.second sent",
        "2026-02-04T10:00:00+08:00 carol gift-30.gift skipped opted-out",
        "2026-04-15T10:00:00+08:00 carol gift-100.gift skipped opted-out",
        "2026-03-06T10:00:00+08:00 carol winback.first skipped opted-out",
        "2026-05-05T10:00:00+08:00 carol winback.second skipped opted-out",
        "2026-02-04T10:00:00+08:00 dave gift-30.gift skipped refunded",
        "2026-04-15T10:00:00+08:00 dave gift-100.gift skipped refunded",
        "2026-03-06T10:00:00+08:00 dave winback.first sent",
        "2026-05-05T10:00:00+08:00 dave winback.second sent",
      ].sort(),
    );
    const gift = decisions.find((d) => d.customerId === "alice" && d.journey === "gift-30");
    expect(gift?.text).toBe("【Shop】王芳，认识满一个月啦！送您5元无门槛券，感谢相伴。拒收请回复R");
  });

  it("caps marketing across journeys at 1 per 24 h: the second message waits for the next free slot", async () => {
    const config = { journeys: { winback: { categoryCycles: { tea: "30d" } } } };
    const events = buy("eve", "e1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00", {
      items: [{ category: "tea" }],
    });

    const decisions = (await runSimulation(events, config)).filter(
      (d) => d.at.startsWith("2026-02-0") && LIFECYCLE.has(d.journey),
    );

    // gift-30 and win-back stage 1 both fall due at 10:00 on Feb 4; whichever goes first, the other
    // is held through 17:00 (still inside 24 h) to 10:00 the next day.
    expect(decisions.map((d) => `${toSecond(d.at)} ${d.outcome}`).sort()).toEqual([
      "2026-02-04T10:00:00+08:00 sent",
      "2026-02-05T10:00:00+08:00 sent",
    ]);
    expect(new Set(decisions.map((d) => d.journey))).toEqual(new Set(["gift-30", "winback"]));
  });

  it("skips with frequency-cap when the hold would run past caps.maxHold", async () => {
    const config = { caps: { maxHold: "12h" }, journeys: { winback: { categoryCycles: { tea: "30d" } } } };
    const events = buy("fay", "f1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00", {
      items: [{ category: "tea" }],
    });

    const decisions = (await runSimulation(events, config)).filter(
      (d) => d.at.startsWith("2026-02-04") && LIFECYCLE.has(d.journey),
    );

    expect(
      decisions.map((d) => `${toSecond(d.at)} ${d.outcome}${d.reason ? ` ${d.reason}` : ""}`).sort(),
    ).toEqual(["2026-02-04T10:00:00+08:00 sent", "2026-02-04T17:00:00+08:00 skipped frequency-cap"]);
  });

  it("skips a gift when the platform's virtual phone number has expired", async () => {
    const events = buy("gus", "g1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00", {
      phoneExpiresAt: "2026-01-20T00:00:00+08:00",
    });

    const decisions = await runSimulation(events);

    expect(lines(decisions).filter((line) => line.includes("gift-30"))).toEqual([
      "2026-02-04T10:00:00+08:00 gus gift-30.gift skipped phone-expired",
    ]);
  });

  it("adds partial refunds up, each once: parts that reach the order's amount skip the gifts, a redelivered part counts once", async () => {
    const refund = (orderId: string, at: string, amount: number, refundId?: string): ShopEvent => ({
      type: "refund.completed",
      at,
      orderId,
      amount,
      ...(refundId ? { refundId } : {}),
    });
    const events: ShopEvent[] = [
      // 129 refunded as 60 + 69 (Shopify ids).
      ...buy("hana", "h1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00"),
      refund("h1", "2026-01-08T12:00:00+08:00", 60, "r1"),
      refund("h1", "2026-01-12T12:00:00+08:00", 69, "r2"),
      // 60 of 129, its webhook delivered twice.
      ...buy("ivan", "i1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00"),
      refund("i1", "2026-01-08T12:00:00+08:00", 60, "r3"),
      refund("i1", "2026-01-08T12:00:00+08:00", 60, "r3"),
      // No ids: two equal halves at different times are two refunds; the first one redelivered is not.
      ...buy("jade", "j1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00", { amount: 99.9 }),
      refund("j1", "2026-01-08T12:00:00+08:00", 49.95),
      refund("j1", "2026-01-08T12:00:00+08:00", 49.95),
      refund("j1", "2026-01-09T04:00:00Z", 49.95),
      // No ids: one part, redelivered with the same instant written in another offset.
      ...buy("kit", "k1", "2026-01-05T09:50:00+08:00", "2026-01-05T10:00:00+08:00", { amount: 100 }),
      refund("k1", "2026-01-08T12:00:00+08:00", 50),
      refund("k1", "2026-01-08T04:00:00Z", 50),
    ];
    const config = parseShopConfig({});

    const result = await simulate({ config, events, dynamo: dynamo(), template: templateFor(config) });

    expect(lines(result.decisions).filter((line) => line.includes("gift-"))).toEqual(
      [
        "2026-02-04T10:00:00+08:00 hana gift-30.gift skipped refunded",
        "2026-04-15T10:00:00+08:00 hana gift-100.gift skipped refunded",
        "2026-02-04T10:00:00+08:00 ivan gift-30.gift sent",
        "2026-04-15T10:00:00+08:00 ivan gift-100.gift sent",
        "2026-02-04T10:00:00+08:00 jade gift-30.gift skipped refunded",
        "2026-04-15T10:00:00+08:00 jade gift-100.gift skipped refunded",
        "2026-02-04T10:00:00+08:00 kit gift-30.gift sent",
        "2026-04-15T10:00:00+08:00 kit gift-100.gift sent",
      ].sort(),
    );
    const refunds = Object.fromEntries(
      result.orders.map((order) => [order.orderId, [order.refundedAt, order.refundedAmount]]),
    );
    expect(refunds).toEqual({
      h1: ["2026-01-08T12:00:00+08:00", 129],
      i1: ["2026-01-08T12:00:00+08:00", 60],
      j1: ["2026-01-08T12:00:00+08:00", 99.9],
      k1: ["2026-01-08T12:00:00+08:00", 50],
    });
  });

  it("asks the coupon endpoint once per step: win-back's two stages get two coupons, a retried step the same one", async () => {
    // A shop endpoint that honours idempotency keys, as payment APIs do: the same key, the same coupon.
    const issued = new Map<string, string>();
    const keys: string[] = [];
    let failNext = 1;
    const server = createServer((request, response) => {
      const key = String(request.headers["idempotency-key"]);
      keys.push(key);
      if (failNext > 0) {
        failNext -= 1;
        response.writeHead(503).end();
        return;
      }
      if (!issued.has(key)) issued.set(key, `CPN${issued.size + 1}`);
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ coupon: issued.get(key) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const issueUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/coupons`;
    try {
      const decisions = await runSimulation(
        buy("erin", "e1", "2026-01-05T09:00:00+08:00", "2026-01-05T09:10:00+08:00"),
        {
          journeys: {
            gift30: { enabled: false },
            gift100: { enabled: false },
            winback: { coupon: { issueUrl } },
          },
        },
      );
      const sent = decisions.filter((d) => d.journey === "winback" && d.outcome === "sent");
      expect(sent.map((d) => d.step)).toEqual(["first", "second"]);
      expect(sent[0]?.text).toContain("CPN1");
      expect(sent[1]?.text).toContain("CPN2");
      // The first call failed and was retried with the same key; each stage (of this cycle, opened by e1) has its own.
      expect(keys).toEqual(["winback:erin:e1:first", "winback:erin:e1:first", "winback:erin:e1:second"]);
    } finally {
      server.close();
    }
  });
});

describe("a busy marketing slot", () => {
  it("drains at the provider's rate: 300 gifts due at one slot at 20/s all go out, none skipped, the last within 10% of 15 s", async () => {
    const customers = Array.from({ length: 300 }, (_, index) => `slot${index}`);
    const events = customers.flatMap((customerId, index) =>
      buy(customerId, `s${index}`, "2026-01-05T09:00:00+08:00", "2026-01-05T09:10:00+08:00"),
    );
    const decisions = await runSimulation(events, {
      journeys: {
        gift100: { enabled: false },
        winback: { enabled: false },
        paymentReminder: { enabled: false },
      },
    });
    const gifts = decisions.filter((d) => d.journey === "gift-30");
    expect(gifts).toHaveLength(300);
    expect(gifts.filter((d) => d.outcome !== "sent")).toEqual([]);
    const slot = Date.parse("2026-02-04T10:00:00+08:00");
    const times = gifts.map((d) => Date.parse(d.at) - slot).sort((a, b) => a - b);
    expect(times[0]).toBeGreaterThanOrEqual(0);
    // 300 at 20/s is 15 s; the last may be a little later (the slot's own invocation), not a slot later.
    expect(times.at(-1)).toBeLessThanOrEqual(15_000 * 1.1);
    // Never faster than the provider's rate: any 20 consecutive sends span at least 0.95 s.
    for (let i = 20; i < times.length; i += 1)
      expect((times[i] as number) - (times[i - 20] as number)).toBeGreaterThanOrEqual(950);
  });

  it("records the customer's last touch in the local runtime (no telemetry): the message conversions are credited to", async () => {
    const { shop, clock, failures } = await virtualShop("2026-06-01T10:00:00+08:00");
    await shop.queue.enqueue(
      [
        orderCreated("2026-06-01T10:00:00+08:00", { id: "t1", customerId: "touched" }),
        { type: "order.paid", at: "2026-06-01T10:02:00+08:00", orderId: "t1" },
      ],
      "test",
    );
    await shop.queue.drain();

    await clock.advanceTo(new Date("2026-07-02T12:00:00+08:00"));

    expect(failures).toEqual([]);
    expect(await shop.store.getTouch("touched")).toMatchObject({
      journey: "gift-30",
      step: "gift",
      orderId: "t1",
      // 30 days after the payment (10:02), at the next marketing slot.
      at: "2026-07-01T17:00:00.000+08:00",
    });
  });
});
