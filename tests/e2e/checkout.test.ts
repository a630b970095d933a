import { describe, expect, it } from "vitest";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { virtualShop } from "../support/local.js";
import { fixture, postGeneric, shopifyHeaders } from "../support/webhooks.js";

/**
 * Issue 36: the abandoned-checkout journey `checkout`, through the signed Shopify route (Shopify's example
 * `checkouts/create`, token 123123123) and the generic route, the local engine running the synthesized
 * state machine under a virtual clock.
 */

const CUSTOMER = "115310627314723954";
const RECOVERY_URL = "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token";
const ON = { links: { baseUrl: "https://s.shop.cn" }, journeys: { checkout: { enabled: true } } };

/** A shop with the journey on, its HTTP server, and posts that wait until dispatch has taken them. */
async function checkoutShop(config: Record<string, unknown> = ON) {
  const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00", config);
  const http = await startHttpServer(shop.routes);
  let deliveries = 0;
  const shopify = async (topic: string, body: string) => {
    deliveries += 1;
    const response = await fetch(`${http.url}/webhooks/shopify`, {
      method: "POST",
      body,
      headers: shopifyHeaders(body, topic, `wh-checkout-${deliveries}`),
    });
    await shop.queue.drain();
    return response.status;
  };
  const generic = async (event: Record<string, unknown>) => {
    const response = await postGeneric(http.url, JSON.stringify(event), clock.now());
    await shop.queue.drain();
    return response.status;
  };
  const decisions = async () =>
    (await shop.store.listDecisions()).filter((decision) => decision.journey === "checkout");
  const close = async () => {
    shop.stop();
    await http.close();
  };
  return { shop, clock, failures, http, shopify, generic, decisions, close };
}

/** Shopify's example checkout, updated at `updatedAt` with `total` to pay. */
function checkoutBody(updatedAt: string, total = "398.00"): string {
  return fixture("shopify-checkouts-create.json")
    .replace('"updated_at": "2026-06-18T10:00:00+08:00"', `"updated_at": "${updatedAt}"`)
    .replace('"total_price": "398.00"', `"total_price": "${total}"`);
}

/** A generic checkout of customer c1 (who has a number), amount 120 unless overridden. */
function genericCheckout(at: string, checkout: Record<string, unknown> = {}) {
  return {
    type: "checkout.updated",
    at,
    checkout: {
      token: "tok-1",
      customer: { id: "c1", phone: "+8613900000001", name: "李雷" },
      amount: 120,
      items: [{ sku: "TEA-1", quantity: 2, price: 60 }],
      url: "https://shop.cn/checkouts/tok-1/recover",
      ...checkout,
    },
  };
}

describe("the abandoned-checkout journey", () => {
  it("reminds an hour after the checkout's latest update, with a tracked short link back to the checkout", async () => {
    // Arrange
    const { clock, http, shopify, decisions, failures, close } = await checkoutShop();
    expect(await shopify("checkouts/create", checkoutBody("2026-06-18T10:00:00+08:00"))).toBe(202);
    await clock.advanceTo(new Date("2026-06-18T10:20:00+08:00"));
    await shopify("checkouts/update", checkoutBody("2026-06-18T10:20:00+08:00", "597.00"));

    // Act
    await clock.advanceTo(new Date("2026-06-18T11:10:00+08:00"));
    const beforeDue = await decisions();
    await clock.advanceTo(new Date("2026-06-18T11:30:00+08:00"));
    const [reminder] = await decisions();
    const follow = await fetch(`${http.url}/l/${reminder?.link}`, { redirect: "manual" });

    // Assert
    expect(beforeDue).toEqual([]);
    expect(reminder).toMatchObject({
      journey: "checkout",
      step: "reminder",
      customerId: CUSTOMER,
      to: "+8613800138000",
      outcome: "sent",
      template: "checkout.reminder",
    });
    expect(Date.parse(reminder?.at ?? "")).toBe(Date.parse("2026-06-18T11:20:00+08:00"));
    expect(reminder?.text).toContain("597.00");
    expect(reminder?.text).toContain(`https://s.shop.cn/l/${reminder?.link}`);
    expect(follow.status).toBe(302);
    expect(follow.headers.get("location")).toBe(RECOVERY_URL);
    expect(failures).toEqual([]);
    await close();
  });

  it("sends nothing for a completed checkout: the order carrying its token stops it, skipped ordered", async () => {
    // Arrange
    const { shop, clock, shopify, decisions, failures, close } = await checkoutShop();
    await shopify("checkouts/create", checkoutBody("2026-06-18T10:00:00+08:00"));
    await clock.advanceTo(new Date("2026-06-18T10:30:00+08:00"));
    const order = fixture("shopify-orders-create.json")
      .replace('"checkout_token": null', '"checkout_token": "123123123"')
      .replace('"financial_status": "pending"', '"financial_status": "paid"')
      .replace(
        /"(created_at|processed_at|updated_at)": "2026-06-18T10:00:00\+08:00"/g,
        '"$1": "2026-06-18T10:30:00+08:00"',
      );

    // Act
    await shopify("orders/create", order);
    await clock.advanceTo(new Date("2026-06-18T13:00:00+08:00"));

    // Assert
    expect(await decisions()).toMatchObject([
      { step: "reminder", outcome: "skipped", reason: "ordered", template: "checkout.reminder" },
    ]);
    const stopped = (await shop.store.listExecutions(CUSTOMER)).filter(
      (entry) => entry.journey === "checkout" && entry.action === "stopped",
    );
    expect(stopped).toHaveLength(1);
    expect((await shop.store.listOutbox()).filter((entry) => entry.text?.includes("购物车"))).toEqual([]);
    expect(failures).toEqual([]);
    await close();
  });

  it("takes any order the customer placed since the checkout as completing it, token or not", async () => {
    // Arrange
    const { clock, generic, decisions, close } = await checkoutShop();
    await generic(genericCheckout("2026-06-18T10:00:00+08:00"));
    await clock.advanceTo(new Date("2026-06-18T10:30:00+08:00"));
    await generic({
      type: "order.created",
      at: "2026-06-18T10:30:00+08:00",
      order: { id: "o-77", customer: { id: "c1", phone: "+8613900000001" }, amount: 120 },
    });

    // Act
    await clock.advanceTo(new Date("2026-06-18T12:00:00+08:00"));

    // Assert
    expect(await decisions()).toMatchObject([{ step: "reminder", outcome: "skipped", reason: "ordered" }]);
    await close();
  });

  it.each([
    ["empty-checkout", {}, { amount: 0, items: [] }, []],
    ["no-phone", {}, { customer: { id: "c9", name: "韩梅梅" } }, []],
    ["no-consent", { marketing: { consent: "required" } }, {}, []],
    [
      "opted-out",
      {},
      {},
      [{ type: "customer.opted_out", at: "2026-06-18T10:10:00+08:00", customerId: "c1" }],
    ],
  ])("skips %s", async (reason, config, checkout, before) => {
    // Arrange
    const { clock, generic, decisions, close } = await checkoutShop({ ...ON, ...config });
    for (const event of before as Record<string, unknown>[]) await generic(event);
    await generic(genericCheckout("2026-06-18T10:00:00+08:00", checkout));

    // Act
    await clock.advanceTo(new Date("2026-06-18T12:00:00+08:00"));

    // Assert
    expect(await decisions()).toMatchObject([{ step: "reminder", outcome: "skipped", reason }]);
    await close();
  });

  it("sends a second reminder when the shop turns it on, after second.after (the day cap counts it like any marketing)", async () => {
    // Arrange
    const config = {
      ...ON,
      journeys: { checkout: { enabled: true, second: { enabled: true, after: "48h" } } },
    };
    const { clock, generic, decisions, close } = await checkoutShop(config);
    await generic(genericCheckout("2026-06-18T10:00:00+08:00"));

    // Act
    await clock.advanceTo(new Date("2026-06-20T12:00:00+08:00"));

    // Assert
    const sent = await decisions();
    expect(sent.map((decision) => [decision.step, decision.outcome])).toEqual([
      ["reminder", "sent"],
      ["second", "sent"],
    ]);
    expect(Date.parse(sent[1]?.at ?? "")).toBe(Date.parse("2026-06-20T10:00:00+08:00"));
    await close();
  });

  it("forgets a customer's checkouts with them", async () => {
    // Arrange
    const { shop, http, generic, close } = await checkoutShop();
    await generic(genericCheckout("2026-06-18T10:00:00+08:00"));
    const kept = await shop.store.getCheckout("tok-1");

    // Act
    const forgotten = await fetch(`${http.url}/admin/forget`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
      body: JSON.stringify({ customerId: "c1" }),
    });

    // Assert
    expect(kept).toMatchObject({ token: "tok-1", customerId: "c1", amount: 120, items: 2 });
    expect(forgotten.status).toBe(200);
    const [one] = (await forgotten.json()) as { counts: { items: Record<string, number> } }[];
    expect(one?.counts.items).toMatchObject({ checkout: 1 });
    expect(await shop.store.getCheckout("tok-1")).toBeUndefined();
    await close();
  });
});
