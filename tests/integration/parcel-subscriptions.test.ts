import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LOCAL_WEBHOOK_SECRET } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { HttpParcelPoll } from "../../functions/providers/kuaidi100-poll.js";
import { FakeKuaidi100 } from "../support/fake-kuaidi100.js";
import { virtualShop } from "../support/local.js";
import { fixture, kuaidi100Form, postGeneric, shopifyHeaders } from "../support/webhooks.js";

/**
 * Issue 37: every shipped parcel subscribed with Kuaidi100 by shopcare itself — the local shop (its tracking
 * queue on the virtual clock) against a protocol-level fake of Kuaidi100's `poll` API on a real HTTP server,
 * and the fake's push coming back through the shop's signed `/webhooks/kuaidi100` route.
 */

const KEY = "kuaidi100-key";
const START = "2026-06-18T10:00:00+08:00";

describe("parcels subscribed with Kuaidi100", () => {
  let kuaidi100: FakeKuaidi100;

  beforeEach(async () => {
    kuaidi100 = await new FakeKuaidi100(KEY).start();
  });
  afterEach(() => kuaidi100.stop());

  /** A shop in China that ships order o-1 (顺丰, SF1234567890) at 10:00, with its HTTP server. */
  async function shipped(config: Record<string, unknown> = {}) {
    const { shop, clock, failures } = await virtualShop(START, config, {
      kuaidi100: {
        poll: new HttpParcelPoll(`${kuaidi100.url}/poll`, 300),
        account: { key: KEY, customer: "CUSTOMER-1", salt: LOCAL_WEBHOOK_SECRET },
      },
      publicUrl: "https://shop.example.cn",
    });
    const http = await startHttpServer(shop.routes);
    const post = async (event: Record<string, unknown>) => {
      await postGeneric(http.url, JSON.stringify(event), clock.now());
      await shop.queue.drain();
      await clock.advanceTo(clock.now());
    };
    await post({
      type: "order.created",
      at: START,
      order: { id: "o-1", customer: { id: "c-1", phone: "+8613800138000" }, amount: 99 },
    });
    const shippedEvent = {
      type: "order.shipped",
      at: "2026-06-18T10:05:00+08:00",
      orderId: "o-1",
      carrier: "顺丰速运",
      trackingNo: "SF1234567890",
    };
    await post(shippedEvent);
    const subscription = () => shop.store.getParcelSubscription("o-1", "SF1234567890");
    const close = async () => {
      shop.stop();
      await http.close();
    };
    return { shop, clock, http, post, shippedEvent, subscription, failures, close };
  }

  /** Kuaidi100's push that an SF Express parcel was signed for (state 3, 已签收) at `ftime`. */
  const signedFor = (number: string, ftime: string) => ({
    status: "polling",
    message: "",
    lastResult: { nu: number, com: "shunfeng", state: "3", data: [{ ftime, context: "已签收" }] },
  });

  /** A Kuaidi100 push for SF1234567890 to the callback URL the subscription gave (its query on this shop). */
  async function push(baseUrl: string, param: Record<string, unknown>) {
    const callback = new URL(String(kuaidi100.calls.at(-1)?.param.parameters.callbackurl));
    const form = kuaidi100Form(JSON.stringify(param));
    return fetch(`${baseUrl}${callback.pathname}${callback.search}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
  }

  it("subscribes a shipped parcel, and its progress pushed back reaches the order", async () => {
    // Arrange
    const { shop, http, subscription, failures, close } = await shipped();

    // Act
    const delivered = await push(http.url, signedFor("SF1234567890", "2026-06-19 15:00:00"));
    await shop.queue.drain();

    // Assert
    expect(kuaidi100.calls).toHaveLength(1);
    expect(kuaidi100.calls[0]?.param).toEqual({
      company: "shunfeng",
      number: "SF1234567890",
      key: KEY,
      parameters: {
        callbackurl: expect.stringMatching(
          /^https:\/\/shop\.example\.cn\/webhooks\/kuaidi100\?orderId=o-1&token=[0-9a-f]{64}$/,
        ),
        salt: LOCAL_WEBHOOK_SECRET,
        resultv2: "4",
        phone: "8000",
      },
    });
    expect(await subscription()).toMatchObject({ status: "subscribed", returnCode: "200", attempts: 1 });
    expect(delivered.status).toBe(202);
    expect((await shop.store.getOrder("o-1"))?.deliveredAt).toBe("2026-06-19T15:00:00+08:00");
    expect(failures).toEqual([]);
    await close();
  });

  it("subscribes a parcel shipped through Shopify (fulfillments/create), its pushes reaching the order", async () => {
    // Arrange: the Shopify order and its fulfillment, signed as Shopify signs them.
    const { shop, clock } = await virtualShop(
      START,
      {},
      {
        kuaidi100: {
          poll: new HttpParcelPoll(`${kuaidi100.url}/poll`, 300),
          account: { key: KEY, customer: "CUSTOMER-1", salt: LOCAL_WEBHOOK_SECRET },
        },
        publicUrl: "https://shop.example.cn",
      },
    );
    const http = await startHttpServer(shop.routes);
    const shopify = async (name: string, topic: string) => {
      const body = fixture(name);
      const answer = await fetch(`${http.url}/webhooks/shopify`, {
        method: "POST",
        body,
        headers: shopifyHeaders(body, topic, `wh-${topic}`),
      });
      await shop.queue.drain();
      await clock.advanceTo(clock.now());
      return answer.status;
    };

    // Act
    const statuses = [
      await shopify("shopify-orders-create.json", "orders/create"),
      await shopify("shopify-fulfillments-create.json", "fulfillments/create"),
    ];
    await shop.queue.drain();
    const delivered = await push(http.url, signedFor("SF1400036985214", "2026-06-20 15:00:00"));
    await shop.queue.drain();

    // Assert
    expect(statuses).toEqual([202, 202]);
    expect(kuaidi100.calls.map((call) => [call.param.company, call.param.number])).toEqual([
      ["shunfeng", "SF1400036985214"],
    ]);
    expect(String(kuaidi100.calls[0]?.param.parameters.callbackurl)).toContain("orderId=820982911946154508");
    expect(delivered.status).toBe(202);
    expect((await shop.store.getOrder("820982911946154508"))?.deliveredAt).toBe("2026-06-20T15:00:00+08:00");
    shop.stop();
    await http.close();
  });

  it("tries again with backoff after a 500 and a timeout, and is subscribed once", async () => {
    // Arrange
    kuaidi100.answerNext = ["500", "timeout"];
    const { clock, subscription, close } = await shipped();

    // Act
    await clock.advanceTo(new Date("2026-06-18T10:10:00+08:00"));

    // Assert
    await vi.waitFor(async () => expect((await subscription())?.status).toBe("subscribed"));
    expect(kuaidi100.calls.map((call) => call.returnCode)).toEqual(["500", "200"]);
    expect(await subscription()).toMatchObject({ attempts: 3 });
    await close();
  });

  it("hands a parcel Kuaidi100 keeps refusing to the operators after kuaidi100.subscribeRetries tries", async () => {
    // Arrange
    kuaidi100.answerNext = ["700", "700", "700", "700"];
    const { shop, clock, subscription, close } = await shipped({ kuaidi100: { subscribeRetries: 3 } });

    // Act
    await clock.advanceTo(new Date("2026-06-18T11:00:00+08:00"));

    // Assert
    expect(kuaidi100.calls).toHaveLength(3);
    expect(await subscription()).toMatchObject({ status: "handed-off", returnCode: "700" });
    const handoffs = await handoffsOf(shop.store);
    expect(handoffs).toEqual([
      expect.objectContaining({ reason: "tracking-not-subscribed", orderId: "o-1" }),
    ]);
    expect(handoffs[0]?.summary).toContain("700 订阅方的订阅数据存在错误");
    expect(await shop.store.parcels.subscriptionTallies("2026-06-01")).toEqual([
      { day: "2026-06-18", filed: 1, subscribed: 0, handedOff: 1, notConfigured: 0, lost: 0 },
    ]);
    await close();
  });

  it("subscribes each order and number once, however often its shipment is delivered or replayed", async () => {
    // Arrange
    const { shop, post, shippedEvent, close } = await shipped();

    // Act
    await post(shippedEvent);
    await post({ ...shippedEvent, at: "2026-06-18T10:06:00+08:00" });
    await shop.queue.drain();

    // Assert: called once, and counted once in the day's tally doctor reads.
    expect(kuaidi100.calls).toHaveLength(1);
    expect(await shop.store.parcels.subscriptionTallies("2026-06-18")).toEqual([
      { day: "2026-06-18", filed: 1, subscribed: 1, handedOff: 0, notConfigured: 0, lost: 0 },
    ]);
    await close();
  });

  it("subscribes again half an hour after Kuaidi100 gives up, twice, then hands off tracking-lost", async () => {
    // Arrange
    const { shop, clock, http, subscription, close } = await shipped();
    const abort = {
      status: "abort",
      message: "3天查询无记录",
      lastResult: { nu: "SF1234567890", com: "shunfeng", state: "0", data: [] },
    };

    // Act: three aborts, each answered after its resubscription.
    const rounds: number[] = [];
    for (let round = 1; round <= 3; round += 1) {
      kuaidi100.polling.clear();
      const answered = await push(http.url, abort);
      expect(answered.status).toBe(202);
      await shop.queue.drain();
      await clock.advanceTo(new Date(clock.now().getTime() + 31 * 60_000));
      rounds.push(kuaidi100.calls.length);
    }

    // Assert
    expect(rounds).toEqual([2, 3, 3]);
    expect(await subscription()).toMatchObject({ status: "lost", round: 2 });
    // Subscribed once in the tally (the resubscriptions are not new parcels), then lost.
    expect(await shop.store.parcels.subscriptionTallies("2026-06-01")).toMatchObject([
      { filed: 1, subscribed: 1, lost: 1 },
    ]);
    expect((await handoffsOf(shop.store)).map((handoff) => handoff.reason)).toEqual(["tracking-lost"]);
    await close();
  });
});

/** The handoffs the local outbox kept (each the operators' handoff as JSON). */
async function handoffsOf(store: { listOutbox(): Promise<{ kind: string; text: string }[]> }) {
  return (await store.listOutbox())
    .filter((entry) => entry.kind === "handoff")
    .map((entry) => JSON.parse(entry.text) as { reason: string; orderId?: string; summary: string });
}
