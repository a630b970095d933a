import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JourneyStarter } from "../../functions/core/engine/dispatch.js";
import { kuaidi100CallbackUrl } from "../../functions/core/intake/webhooks/sources.js";
import { createWebhookRouter, type EventQueue } from "../../functions/handlers/ingest.js";
import { LOCAL_WEBHOOK_SECRET, type LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { fixture, genericHeaders, kuaidi100Form, shopifyHeaders } from "../support/webhooks.js";

const run = promisify(execFile);
const CLI = new URL("../../functions/local/cli/shopcare.mjs", import.meta.url).pathname;
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

  beforeAll(async () => {
    ({ shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00"));
    http = await startHttpServer(shop.routes);
  });
  afterAll(async () => {
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

  describe("Kuaidi100", () => {
    const push = (state: string, nu = "V030344422") => {
      const param = JSON.parse(fixture("kuaidi100-push.json"));
      param.lastResult.state = state;
      param.lastResult.nu = nu;
      return JSON.stringify(param);
    };
    const form = { "content-type": "application/x-www-form-urlencoded" };
    /** An order created and shipped under a tracking number, through the generic webhook. */
    const shipOrder = async (orderId: string, carrier: string, trackingNo: string) => {
      const body = JSON.stringify([
        orderCreated("2026-06-18T12:00:00+08:00", { id: orderId }),
        { type: "order.shipped", at: "2026-06-19T12:00:00+08:00", orderId, carrier, trackingNo },
      ]);
      await post("/webhooks/generic", body, genericHeaders(body, clock.now()));
      await shop.queue.drain();
    };

    it("maps a signed push to a parcel event and answers in Kuaidi100's format", async () => {
      const created = JSON.stringify(orderCreated("2026-06-18T12:00:00+08:00", { id: "k1" }));
      await post("/webhooks/generic", created, genericHeaders(created, clock.now()));
      // Subscribed with shopcare's own callback URL: the order id with its token (the order has not shipped
      // through shopcare, so the tracking number alone would not name it).
      const callback = new URL(kuaidi100CallbackUrl(http.url, "k1", LOCAL_WEBHOOK_SECRET));
      const response = await post(
        `${callback.pathname}${callback.search}`,
        kuaidi100Form(push("1001")),
        form,
      );
      await shop.queue.drain();

      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ result: true, returnCode: "200", accepted: 1 });
      expect((await shop.store.getOrder("k1"))?.arrivedCityAt).toBe("2026-06-20T07:33:19+08:00");
    });

    it("maps 疑难 (2, 2xx) to parcel.exception with the sub-state as reason, 拒签 (14, 203) to parcel.rejected and 退签/退回 (4, 6, 4xx, 6xx) to parcel.returned", async () => {
      const orders = { k208: "208", k2: "2", k14: "14", k203: "203", k4: "4", k601: "601" };
      for (const [orderId, state] of Object.entries(orders)) {
        await shipOrder(orderId, "SF", `SF-${orderId}`);
        const response = await post("/webhooks/kuaidi100", kuaidi100Form(push(state, `SF-${orderId}`)), form);
        expect(response.status, state).toBe(202);
      }
      await shop.queue.drain();

      const facts = async (orderId: string) => {
        const order = await shop.store.getOrder(orderId);
        return [
          order?.parcelExceptionAt,
          order?.parcelExceptionReason,
          order?.parcelRejectedAt,
          order?.parcelReturnedAt,
        ];
      };
      const when = "2026-06-20T07:33:19+08:00";
      expect(await facts("k208")).toEqual([when, "208", undefined, undefined]);
      expect(await facts("k2")).toEqual([when, undefined, undefined, undefined]);
      expect(await facts("k14")).toEqual([undefined, undefined, when, undefined]);
      expect(await facts("k203")).toEqual([undefined, undefined, when, undefined]);
      expect(await facts("k4")).toEqual([undefined, undefined, undefined, when]);
      expect(await facts("k601")).toEqual([undefined, undefined, undefined, when]);
    });

    it("finds the order by tracking number, refuses a wrong sign (401) and an unknown number (400)", async () => {
      // Its own shipped order, so the test holds alone.
      await shipOrder("k-track", "SF", "SF9990000000001");
      const byNumber = await post("/webhooks/kuaidi100", kuaidi100Form(push("3", "SF9990000000001")), form);
      const wrongSign = await post("/webhooks/kuaidi100", kuaidi100Form(push("3"), "other-salt"), form);
      const unknown = await post("/webhooks/kuaidi100", kuaidi100Form(push("3", "YT0000000000")), form);
      await shop.queue.drain();

      expect(byNumber.status).toBe(202);
      expect((await shop.store.getOrder("k-track"))?.deliveredAt).toBe("2026-06-20T07:33:19+08:00");
      expect(wrongSign.status).toBe(401);
      expect(await wrongSign.json()).toMatchObject({ result: false, returnCode: "401" });
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toMatchObject({ result: false, field: "param.lastResult.nu" });
    });

    it("replays a push from the archive once its order has shipped", async () => {
      await clock.advanceTo(new Date(clock.now().getTime() + 60_000));
      const from = clock.now();
      const early = await post("/webhooks/kuaidi100", kuaidi100Form(push("3", "ZT5550001")), form);
      expect(early.status).toBe(400);
      await shipOrder("k2", "ZTO", "ZT5550001");

      const replay = await fetch(`${http.url}/admin/replay`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
        body: JSON.stringify({
          from: from.toISOString(),
          to: new Date(clock.now().getTime() + 1000).toISOString(),
          source: "kuaidi100",
        }),
      });
      await shop.queue.drain();

      expect(await replay.json()).toEqual({ replayed: 1, events: 1, failed: [] });
      expect((await shop.store.getOrder("k2"))?.deliveredAt).toBe("2026-06-20T07:33:19+08:00");
    });
  });
});

/**
 * A local shop whose generic webhook route queues through `enqueue` instead of the shop's queue, on a real
 * HTTP server; `send` posts one signed body to it.
 */
async function shopWithQueue(enqueue: EventQueue["enqueue"]) {
  const { shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00");
  const router = createWebhookRouter({
    config: shop.config,
    store: shop.store,
    clock,
    secrets: { get: async () => LOCAL_WEBHOOK_SECRET },
    queue: { enqueue },
  });
  const http = await startHttpServer([{ method: "POST", path: "/webhooks/generic", handler: router }]);
  const send = (body: string) =>
    fetch(`${http.url}/webhooks/generic`, {
      method: "POST",
      body,
      headers: genericHeaders(body, clock.now()),
    });
  return { shop, http, send };
}

describe("a delivery whose events could not be queued", () => {
  it("fails with 5xx, and the sender's retry queues it and finishes its archived copy", async () => {
    const queued: string[] = [];
    let queueDown = true;
    const {
      shop,
      http,
      send: post,
    } = await shopWithQueue(async (_events, webhookId) => {
      if (queueDown) throw new Error("SQS unavailable");
      queued.push(webhookId);
    });
    try {
      const body = JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "q1" }));
      const send = () => post(body);
      const failed = await send();
      queueDown = false;
      const retried = await send();
      const again = await send();

      expect(failed.status).toBe(500);
      expect(retried.status).toBe(202);
      const { id } = (await retried.json()) as { id: string };
      expect(queued).toEqual([id]);
      expect(await shop.store.getWebhook(id)).toMatchObject({ status: "accepted", events: 1 });
      expect(await again.json()).toMatchObject({ id, duplicate: true, accepted: 1 });
    } finally {
      shop.stop();
      await http.close();
    }
  });
});

describe("two deliveries of one webhook at once, while the queue fails once", () => {
  it("queues the events from the retry when the first attempt, still queueing as the retry arrives, then fails", async () => {
    const queued: string[] = [];
    let calls = 0;
    let retryDone: () => void = () => {};
    const retryFinished = new Promise<void>((resolve) => {
      retryDone = resolve;
    });
    const {
      shop,
      http,
      send: post,
    } = await shopWithQueue(async (_events, webhookId) => {
      calls += 1;
      // The first attempt is slow (the sender gives up waiting and retries), then fails.
      if (calls === 1) {
        await retryFinished;
        throw new Error("SQS unavailable");
      }
      queued.push(webhookId);
    });
    try {
      const body = JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "overlap" }));
      const send = () => post(body);
      const first = send();
      while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const retry = await send();
      retryDone();
      expect(retry.status).toBe(202);
      expect((await first).status).toBe(500);
      const { id } = (await retry.json()) as { id: string };
      expect(queued).toEqual([id]);
      expect(await shop.store.getWebhook(id)).toMatchObject({ status: "accepted", events: 1 });
      // Copies after a confirmed enqueue are answered without queueing again.
      expect(await (await send()).json()).toMatchObject({ id, duplicate: true, accepted: 1 });
      expect(queued).toEqual([id]);
    } finally {
      shop.stop();
      await http.close();
    }
  });
});

describe("dead letters and `shopcare replay`", () => {
  it("keeps an event dispatch keeps failing on as a dead letter with its error; replay re-drives it", async () => {
    let throttledStarts = 5;
    let engine: JourneyStarter | undefined;
    const flaky: JourneyStarter = {
      start: async (...args) => {
        if (throttledStarts-- > 0) throw new Error("InvalidExecutionInput: input too large");
        return engine?.start(...args);
      },
      stop: async (...args) => engine?.stop(...args),
    };
    const { shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00", {}, { journeys: flaky });
    engine = shop.engine;
    const http = await startHttpServer(shop.routes);
    try {
      const body = JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "dl1" }));
      const accepted = await fetch(`${http.url}/webhooks/generic`, {
        method: "POST",
        body,
        headers: genericHeaders(body, clock.now()),
      });
      await shop.queue.drain();
      expect(accepted.status).toBe(202);
      const letters = await shop.store.listDeadLetters();
      expect(letters).toHaveLength(1);
      expect(letters[0]?.error).toBe("Error: InvalidExecutionInput: input too large");
      expect(shop.engine.started).toBe(0);

      const { stdout } = await run(process.execPath, [CLI, "replay", "--dead-letters", "--url", http.url]);
      await shop.queue.drain();

      expect(stdout).toContain("replayed 1 (1 events)");
      expect(await shop.store.listDeadLetters()).toEqual([]);
      expect(shop.engine.started).toBe(1);
    } finally {
      shop.stop();
      await http.close();
    }
  });
});
