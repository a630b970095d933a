import { describe, expect, it } from "vitest";
import { kuaidi100CallbackUrl } from "../../functions/core/intake/webhooks/sources.js";
import { LOCAL_WEBHOOK_SECRET } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { fixture, genericHeaders, kuaidi100Form, shopifyHeaders } from "../support/webhooks.js";

/**
 * Issue 32 §3 and §4, replayed as reported: what a captured, genuinely signed webhook can do when posted again
 * with what its signature does not cover (the callback URL's query, extra form fields, Shopify's topic and
 * delivery id headers).
 */

const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** A Kuaidi100 push of `state` for tracking number `nu`, its newest checkpoint at `time` (China time). */
function push(state: string, nu: string, time = "2026-06-20 07:33:19"): string {
  const param = JSON.parse(fixture("kuaidi100-push.json"));
  param.lastResult.state = state;
  param.lastResult.nu = nu;
  param.lastResult.data[0].ftime = time;
  param.lastResult.data[0].time = time;
  return JSON.stringify(param);
}

async function shopWithServer() {
  const { shop, clock, failures } = await virtualShop("2026-06-19T10:00:00+08:00");
  const http = await startHttpServer(shop.routes);
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${http.url}${path}`, { method: "POST", body, headers });
  const generic = async (events: unknown[]) => {
    const body = JSON.stringify(events);
    expect((await post("/webhooks/generic", body, genericHeaders(body, clock.now()))).status).toBe(202);
    await shop.queue.drain();
  };
  return { shop, clock, failures, http, post, generic };
}

describe("a captured Kuaidi100 push cannot message any order", () => {
  it("takes the order from the signed tracking number: another orderId, an extra field or a forged token change nothing", async () => {
    // Arrange: k-real shipped under SF100; o4 (another customer) never shipped.
    const { shop, clock, failures, http, post, generic } = await shopWithServer();
    try {
      await generic([
        orderCreated("2026-06-19T09:00:00+08:00", { id: "k-real", customerId: "c-real" }),
        {
          type: "order.shipped",
          at: "2026-06-19T09:30:00+08:00",
          orderId: "k-real",
          carrier: "SF",
          trackingNo: "SF100",
        },
        orderCreated("2026-06-19T09:00:00+08:00", { id: "o4", customerId: "c-o4", phone: "+8613800000044" }),
      ]);
      const arrived = kuaidi100Form(push("1001", "SF100"));
      const delivered = kuaidi100Form(push("3", "SF100", "2026-06-20 15:00:00"));
      const genuine = await post("/webhooks/kuaidi100", arrived, FORM);

      // Act: the attacks, in turn.
      const sameToO4 = await post("/webhooks/kuaidi100?orderId=o4", arrived, FORM);
      const extraField = await post("/webhooks/kuaidi100?orderId=o4", `${arrived}&x=1`, FORM);
      const laterPushToO4 = await post("/webhooks/kuaidi100?orderId=o4", delivered, FORM);
      const forgedToken = await post(
        `/webhooks/kuaidi100?orderId=o4&token=${"0".repeat(64)}`,
        delivered,
        FORM,
      );
      const replay = await fetch(`${http.url}/admin/replay`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
        body: JSON.stringify({
          from: "2026-06-19T00:00:00+08:00",
          to: new Date(clock.now().getTime() + 1000).toISOString(),
          source: "kuaidi100",
        }),
      });
      await shop.queue.drain();
      await clock.advanceTo(new Date("2026-06-21T12:00:00+08:00"));

      // Assert
      expect(genuine.status).toBe(202);
      expect(await sameToO4.json()).toMatchObject({ duplicate: true });
      expect(await extraField.json()).toMatchObject({ duplicate: true });
      // A later genuine push is its own parcel's news: applied to the order it shipped, not to o4.
      expect(laterPushToO4.status).toBe(202);
      expect((await shop.store.getOrder("k-real"))?.deliveredAt).toBe("2026-06-20T15:00:00+08:00");
      expect(forgedToken.status).toBe(401);
      expect(replay.status).toBe(200);
      const o4 = await shop.store.getOrder("o4");
      expect([o4?.arrivedCityAt, o4?.deliveredAt]).toEqual([undefined, undefined]);
      expect((await shop.store.getOrder("k-real"))?.arrivedCityAt).toBe("2026-06-20T07:33:19+08:00");
      const decisionsForO4 = (await shop.store.listDecisions()).filter(
        (decision) => decision.orderId === "o4" && decision.journey === "arrived",
      );
      expect(decisionsForO4).toEqual([]);
      const outbox = await shop.store.listOutbox();
      expect(outbox.filter((entry) => entry.to === "+8613800000044" && /包裹/.test(entry.text))).toEqual([]);
      expect(failures).toEqual([]);
    } finally {
      await http.close();
      shop.stop();
    }
  });

  it("honours a callback URL's orderId with shopcare's token, and keeps a push older than maxAge without applying it", async () => {
    // Arrange: an ERP subscribed o7's parcel with shopcare's callback URL; o8 shipped through shopcare.
    const { shop, http, post, generic } = await shopWithServer();
    try {
      await generic([
        orderCreated("2026-06-19T09:00:00+08:00", { id: "o7" }),
        orderCreated("2026-06-19T09:00:00+08:00", { id: "o8" }),
        {
          type: "order.shipped",
          at: "2026-06-19T09:30:00+08:00",
          orderId: "o8",
          carrier: "SF",
          trackingNo: "SF800",
        },
      ]);
      const callback = new URL(kuaidi100CallbackUrl(http.url, "o7", LOCAL_WEBHOOK_SECRET));

      // Act
      const subscribed = await post(
        `${callback.pathname}${callback.search}`,
        kuaidi100Form(push("1001", "YT700")),
        FORM,
      );
      const stale = await post(
        "/webhooks/kuaidi100",
        kuaidi100Form(push("3", "SF800", "2026-05-01 10:00:00")),
        FORM,
      );
      await shop.queue.drain();

      // Assert
      expect(subscribed.status).toBe(202);
      expect((await shop.store.getOrder("o7"))?.arrivedCityAt).toBe("2026-06-20T07:33:19+08:00");
      expect(stale.status).toBe(202);
      expect(await stale.json()).toMatchObject({
        accepted: 0,
        ignored: "newest checkpoint 2026-05-01T10:00:00+08:00 is older than webhooks.kuaidi100.maxAge (30d)",
      });
      expect((await shop.store.getOrder("o8"))?.deliveredAt).toBeUndefined();
      const archived = (await shop.store.scanAll()).filter(
        (item) => String(item.pk).startsWith("WEBHOOK#") && item.source === "kuaidi100",
      );
      expect(archived).toHaveLength(2);
    } finally {
      await http.close();
      shop.stop();
    }
  });
});

describe("Shopify's topic and delivery id are bound to the signed body", () => {
  it("answers a signed orders/create body re-posted as orders/paid under a new id as the same delivery: the order stays unpaid and is reminded", async () => {
    // Arrange
    const { shop, clock, failures, http, post } = await shopWithServer();
    const order = fixture("shopify-orders-create.json");
    try {
      const created = await post("/webhooks/shopify", order, shopifyHeaders(order, "orders/create", "wh-1"));
      await shop.queue.drain();

      // Act: the attack as reported, and an unpaid body never seen before under orders/paid.
      const reposted = await post(
        "/webhooks/shopify",
        order,
        shopifyHeaders(order, "orders/paid", "wh-forged"),
      );
      const unseen = order
        .replace('"820982911946154508"', '"820982911946154509"')
        .replace(/"id": ?820982911946154508/, '"id": 820982911946154509');
      const unpaid = await post("/webhooks/shopify", unseen, shopifyHeaders(unseen, "orders/paid", "wh-2"));
      await shop.queue.drain();
      await clock.advanceTo(new Date("2026-06-20T12:00:00+08:00"));

      // Assert
      expect(created.status).toBe(202);
      expect(reposted.status).toBe(202);
      expect(await reposted.json()).toMatchObject({ duplicate: true });
      expect(unpaid.status).toBe(400);
      expect(await unpaid.json()).toMatchObject({ error: "invalid payload", field: "financial_status" });
      expect((await shop.store.getOrder("820982911946154508"))?.paidAt).toBeUndefined();
      const reminder = (await shop.store.listDecisions()).find(
        (decision) => decision.orderId === "820982911946154508" && decision.journey === "payment-reminder",
      );
      expect(reminder).toMatchObject({ step: "first", outcome: "sent" });
      expect(shop.engine.started).toBe(1);
      expect(failures).toEqual([]);
    } finally {
      await http.close();
      shop.stop();
    }
  });
});
