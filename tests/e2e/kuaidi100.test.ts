import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kuaidi100CallbackUrl } from "../../functions/core/intake/webhooks/sources.js";
import { LOCAL_WEBHOOK_SECRET, type LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { fixture, genericHeaders, kuaidi100Form } from "../support/webhooks.js";

describe("Kuaidi100 pushes through the real HTTP server", () => {
  let shop: LocalShop;
  let clock: VirtualClock;
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${http.url}${path}`, { method: "POST", body, headers });

  // Each test on a shop of its own, from the same instant.
  beforeEach(async () => {
    ({ shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00"));
    http = await startHttpServer(shop.routes);
  });
  afterEach(async () => {
    shop.stop();
    await http.close();
  });

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
    const response = await post(`${callback.pathname}${callback.search}`, kuaidi100Form(push("1001")), form);
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
