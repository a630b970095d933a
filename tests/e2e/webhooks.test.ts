import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { fixture, genericHeaders, shopifyHeaders } from "../support/webhooks.js";

const SHOPIFY_ORDER = "820982911946154508";

async function webhookCount(shop: LocalShop): Promise<number> {
  return (await shop.store.scanAll()).filter((item) => String(item.pk).startsWith("WEBHOOK#")).length;
}

describe("webhooks from real sources through the real HTTP server", () => {
  let shop: LocalShop;
  let clock: VirtualClock;
  let failures: string[];
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${http.url}${path}`, { method: "POST", body, headers });

  // Each test on a shop of its own, from the same instant.
  beforeEach(async () => {
    ({ shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00"));
    http = await startHttpServer(shop.routes);
  });
  afterEach(async () => {
    shop.stop();
    await http.close();
  });

  describe("generic (HMAC-SHA256 of timestamp.body, 5 minutes)", () => {
    const body = JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "g-signed" }));

    it("refuses missing, wrong, stale and tampered signatures with 401 and keeps nothing", async () => {
      const before = await webhookCount(shop);
      const valid = genericHeaders(body, clock.now());
      const stale = genericHeaders(body, new Date(clock.now().getTime() - 6 * 60_000));
      const cases = [
        { "content-type": "application/json" },
        genericHeaders(body, clock.now(), "not-the-secret"),
        stale,
        valid,
      ];
      const statuses = [];
      for (const [index, headers] of cases.entries()) {
        const sent = index === 3 ? body.replace("g-signed", "g-forged") : body;
        const response = await post("/webhooks/generic", sent, headers);
        statuses.push([response.status, ((await response.json()) as { error: string }).error]);
      }
      expect(statuses).toEqual([
        [401, "missing x-shopcare-signature"],
        [401, "signature does not match"],
        [401, "x-shopcare-timestamp is more than 5m from now"],
        [401, "signature does not match"],
      ]);
      expect(await webhookCount(shop)).toBe(before);
    });

    it("accepts a signed body once: a repeat is answered as before and changes nothing", async () => {
      const first = await post("/webhooks/generic", body, genericHeaders(body, clock.now()));
      await shop.queue.drain();
      const started = shop.engine.started;
      const again = await post("/webhooks/generic", body, genericHeaders(body, clock.now()));
      await shop.queue.drain();

      expect(first.status).toBe(202);
      expect(again.status).toBe(202);
      const [firstBody, againBody] = [(await first.json()) as object, await again.json()];
      expect(againBody).toEqual({ ...firstBody, duplicate: true });
      expect(shop.engine.started).toBe(started);
    });

    it("builds order facts from event times, not arrival times", async () => {
      const late = JSON.stringify({
        type: "order.paid",
        at: "2026-06-18T10:40:00+08:00",
        orderId: "g-signed",
      });
      const early = JSON.stringify({
        type: "order.paid",
        at: "2026-06-18T10:20:00+08:00",
        orderId: "g-signed",
      });
      for (const paid of [late, early])
        await post("/webhooks/generic", paid, genericHeaders(paid, clock.now()));
      await shop.queue.drain();
      expect((await shop.store.getOrder("g-signed"))?.paidAt).toBe("2026-06-18T10:20:00+08:00");
    });
  });

  describe("Shopify", () => {
    const order = fixture("shopify-orders-create.json");

    it("keeps a signed customers_marketing_consent/update as the customer's and the number's consent", async () => {
      // Shopify's ids pass 2^53: the body carries the digits, as Shopify sends them.
      const body = JSON.stringify({
        id: 0,
        phone: "+86 138 0013 8000",
        sms_marketing_consent: {
          state: "subscribed",
          opt_in_level: "single_opt_in",
          consent_updated_at: "2026-06-18T09:30:00+08:00",
          consent_collected_from: "SHOPIFY",
        },
      }).replace('"id":0', '"id":115310627314723954');

      const response = await post(
        "/webhooks/shopify",
        body,
        shopifyHeaders(body, "customers_marketing_consent/update", "wh-consent-1"),
      );
      await shop.queue.drain();

      expect(response.status).toBe(202);
      expect((await shop.store.getCustomer("115310627314723954"))?.consent).toEqual({
        state: "subscribed",
        source: "shopify:shopify",
        at: "2026-06-18T09:30:00+08:00",
      });
      expect(await shop.store.listConsents({ phone: "+8613800138000" })).toHaveLength(1);
    });

    it("starts the payment reminder from a signed orders/create, keeping the id's digits and an E.164 phone", async () => {
      const response = await post(
        "/webhooks/shopify",
        order,
        shopifyHeaders(order, "orders/create", "wh-create-1"),
      );
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ accepted: 1 });
      await shop.queue.drain();

      expect(await shop.store.getOrder(SHOPIFY_ORDER)).toMatchObject({
        orderId: SHOPIFY_ORDER,
        customerId: "115310627314723954",
        amount: 398,
        currency: "CNY",
        paymentMethod: "online",
      });
      expect(await shop.store.getCustomer("115310627314723954")).toMatchObject({
        phone: "+8613800138000",
        name: "芳",
      });
      await clock.advanceTo(new Date("2026-06-18T11:00:00+08:00"));
      const reminder = (await shop.store.listDecisions()).find((d) => d.orderId === SHOPIFY_ORDER);
      expect(reminder).toMatchObject({ journey: "payment-reminder", step: "first", outcome: "sent" });
      expect(reminder?.text).toContain(SHOPIFY_ORDER);
      expect(failures).toEqual([]);
    });

    it("answers a redelivery (same X-Shopify-Webhook-Id) as before and changes nothing", async () => {
      // The first delivery (again, if an earlier test sent it: then this is already a redelivery).
      await post("/webhooks/shopify", order, shopifyHeaders(order, "orders/create", "wh-create-1"));
      await shop.queue.drain();
      const started = shop.engine.started;
      const outbox = (await shop.store.listOutbox()).length;
      const response = await post(
        "/webhooks/shopify",
        order,
        shopifyHeaders(order, "orders/create", "wh-create-1"),
      );
      await shop.queue.drain();
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ duplicate: true, accepted: 1 });
      expect(shop.engine.started).toBe(started);
      expect((await shop.store.listOutbox()).length).toBe(outbox);
    });

    it("answers 401 unsigned or signed with another secret, and 400 naming the field of a broken order", async () => {
      const unsigned = await post("/webhooks/shopify", order, { "x-shopify-topic": "orders/create" });
      const forged = await post(
        "/webhooks/shopify",
        order,
        shopifyHeaders(order, "orders/create", "wh-x", "other"),
      );
      const broken = order.replace('"total_price": "398.00",', "");
      const invalid = await post(
        "/webhooks/shopify",
        broken,
        shopifyHeaders(broken, "orders/create", "wh-broken"),
      );

      expect([unsigned.status, forged.status, invalid.status]).toEqual([401, 401, 400]);
      expect(await invalid.json()).toMatchObject({ error: "invalid payload", field: "total_price" });
    });

    it("maps fulfillments/create to order.shipped and refunds/create to refund.completed; ignores unused topics with 202", async () => {
      const fulfillment = fixture("shopify-fulfillments-create.json");
      const refund = fixture("shopify-refunds-create.json");
      // A later state of the order (its own body: the same body again would be the same delivery).
      const updated = order.replace(/\}\s*$/, ', "tags": "updated"}');

      const shipped = await post(
        "/webhooks/shopify",
        fulfillment,
        shopifyHeaders(fulfillment, "fulfillments/create", "wh-ful-1"),
      );
      const refunded = await post(
        "/webhooks/shopify",
        refund,
        shopifyHeaders(refund, "refunds/create", "wh-ref-1"),
      );
      // The same refund again under another delivery id (a second subscription, a replay): counted once.
      const again = await post(
        "/webhooks/shopify",
        refund,
        shopifyHeaders(refund, "refunds/create", "wh-ref-2"),
      );
      const unused = await post(
        "/webhooks/shopify",
        updated,
        shopifyHeaders(updated, "orders/updated", "wh-upd-1"),
      );
      await shop.queue.drain();

      expect([shipped.status, refunded.status, again.status, unused.status]).toEqual([202, 202, 202, 202]);
      expect(await unused.json()).toMatchObject({
        accepted: 0,
        ignored: 'topic "orders/updated" is not used by shopcare',
      });
      expect(await shop.store.getOrder(SHOPIFY_ORDER)).toMatchObject({
        shippedAt: "2026-06-19T09:30:00+08:00",
        carrier: "SF",
        trackingNo: "SF1400036985214",
        refundedAt: "2026-06-25T12:00:00+08:00",
        refundedAmount: 199,
        refundIds: new Set(["890088186047892319"]),
      });
    });
  });

  describe("Shopify fulfillment trouble and payers", () => {
    it("maps fulfillments/update with shipment_status failure to parcel.exception and keeps the billing phone as the payer's", async () => {
      const order = JSON.parse(fixture("shopify-orders-create.json"));
      order.id = 5550001;
      order.billing_address = { ...order.billing_address, phone: "13911112222", country_code: "CN" };
      const created = JSON.stringify(order);
      const fulfillment = JSON.parse(fixture("shopify-fulfillments-create.json"));
      const failed = JSON.stringify({
        ...fulfillment,
        order_id: 5550001,
        shipment_status: "failure",
        updated_at: "2026-06-21T15:00:00+08:00",
      });
      const moving = JSON.stringify({ ...fulfillment, order_id: 5550001, shipment_status: "in_transit" });

      const responses = [
        await post("/webhooks/shopify", created, shopifyHeaders(created, "orders/create", "wh-pay-1")),
        await post("/webhooks/shopify", moving, shopifyHeaders(moving, "fulfillments/update", "wh-upd-2")),
        await post("/webhooks/shopify", failed, shopifyHeaders(failed, "fulfillments/update", "wh-upd-3")),
      ];
      await shop.queue.drain();

      expect(responses.map((response) => response.status)).toEqual([202, 202, 202]);
      expect(await shop.store.getOrder("5550001")).toMatchObject({
        payerPhone: "+8613911112222",
        parcelExceptionAt: "2026-06-21T15:00:00+08:00",
        parcelExceptionReason: "failure",
      });
    });
  });
});
