import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { FakeShopify } from "../support/fake-shopify.js";
import { virtualShop } from "../support/local.js";
import { postGeneric } from "../support/webhooks.js";

/**
 * Issue 36: an opt-out recorded here withdraws the customer's SMS consent in Shopify
 * (`customerSmsMarketingConsentUpdate`, UNSUBSCRIBED), wired as `npm start` wires it — the token in
 * `SHOPCARE_SHOPIFY_ADMIN_TOKEN`, the Admin API at `SHOPCARE_SHOPIFY_ADMIN_URL` — against a protocol-level
 * fake of the Admin API on a real HTTP server.
 */

const TOKEN = "shpat_consent_test";
const CUSTOMER = "115310627314723954";
const PHONE = "+8613800138000";
const CONFIG = { shopify: { shop: "acme.myshopify.com" } };

describe("consent written back to Shopify", () => {
  let shopify: FakeShopify;
  const saved = { ...process.env };

  beforeEach(async () => {
    shopify = await new FakeShopify(TOKEN, "2026-10").start();
    shopify.customers.set(CUSTOMER, { phone: PHONE, smsMarketingState: "SUBSCRIBED" });
    process.env.SHOPCARE_SHOPIFY_ADMIN_TOKEN = TOKEN;
    process.env.SHOPCARE_SHOPIFY_ADMIN_URL = shopify.url;
  });
  afterEach(async () => {
    process.env = { ...saved };
    await shopify.stop();
  });

  /** A shop that knows the Shopify customer and a guest on the same number, with its HTTP server. */
  async function shopWithCustomers() {
    const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00", CONFIG);
    const http = await startHttpServer(shop.routes);
    for (const [id, customerId] of [
      ["o-1", CUSTOMER],
      ["o-2", "guest-o-2"],
    ] as const)
      await postGeneric(
        http.url,
        JSON.stringify({
          type: "order.created",
          at: "2026-06-18T10:00:00+08:00",
          order: { id, customer: { id: customerId, phone: PHONE }, amount: 10 },
        }),
        clock.now(),
      );
    await shop.queue.drain();
    const close = async () => {
      shop.stop();
      await http.close();
    };
    return { shop, clock, http, failures, close };
  }

  it("withdraws it when the customer replies the opt-out keyword, for the Shopify customer on that number only", async () => {
    // Arrange
    const { shop, http, close } = await shopWithCustomers();

    // Act
    const reply = await fetch(`${http.url}/inbound/sms`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
      body: JSON.stringify({ from: PHONE, text: "R", at: "2026-06-18T11:00:00+08:00" }),
    });
    await shop.queue.drain();

    // Assert
    expect(reply.status).toBe(200);
    expect(shopify.customers.get(CUSTOMER)).toEqual({
      phone: PHONE,
      smsMarketingState: "UNSUBSCRIBED",
      consentUpdatedAt: "2026-06-18T03:00:00.000Z",
    });
    const consentCalls = shopify.requests.filter((r) => r.field === "customerSmsMarketingConsentUpdate");
    expect(consentCalls.map((call) => call.variables)).toEqual([
      {
        input: {
          customerId: `gid://shopify/Customer/${CUSTOMER}`,
          smsMarketingConsent: {
            marketingState: "UNSUBSCRIBED",
            consentUpdatedAt: "2026-06-18T03:00:00.000Z",
          },
        },
      },
    ]);
    expect((await shop.store.listPhoneOptOuts(PHONE)).map((optOut) => optOut.source)).toEqual(["local"]);
    await close();
  });

  it("holds through Shopify's 429 (Retry-After) when an opt-out event names the customer", async () => {
    // Arrange
    const { shop, clock, http, close } = await shopWithCustomers();
    shopify.failNext = [429];

    // Act
    await postGeneric(
      http.url,
      JSON.stringify({ type: "customer.opted_out", at: "2026-06-18T10:30:00+08:00", customerId: CUSTOMER }),
      clock.now(),
    );
    await shop.queue.drain();

    // Assert
    expect(shopify.failures).toEqual([429]);
    expect(shopify.customers.get(CUSTOMER)?.smsMarketingState).toBe("UNSUBSCRIBED");
    expect(await shop.store.listDeadLetters()).toEqual([]);
    await close();
  });

  it("retries a 5xx with the event, and keeps it as a dead letter with Shopify's reason when it never holds", async () => {
    // Arrange
    const { shop, clock, http, close } = await shopWithCustomers();
    shopify.failNext = [500, 500, 500, 500, 500];

    // Act
    await postGeneric(
      http.url,
      JSON.stringify({ type: "customer.opted_out", at: "2026-06-18T10:30:00+08:00", customerId: CUSTOMER }),
      clock.now(),
    );
    await shop.queue.drain();

    // Assert
    const [letter, ...more] = await shop.store.listDeadLetters();
    expect(more).toEqual([]);
    expect(letter?.error).toMatch(/^ShopifyAdminError: .*Internal Server Error/);
    expect(JSON.parse(letter?.body ?? "{}")).toMatchObject({
      type: "customer.opted_out",
      customerId: CUSTOMER,
    });
    expect(shopify.failures).toEqual([500, 500, 500, 500, 500]);
    expect(shopify.customers.get(CUSTOMER)?.smsMarketingState).toBe("SUBSCRIBED");
    // The opt-out itself held here from the first try.
    expect((await shop.store.getCustomer(CUSTOMER))?.optedOutAt).toBe("2026-06-18T10:30:00+08:00");
    await close();
  });

  it("names the missing write_customers scope in the dead letter of a token granted without it", async () => {
    // Arrange
    shopify.scopes = ["read_orders", "read_fulfillments", "read_customers"];
    const { shop, clock, http, close } = await shopWithCustomers();

    // Act
    await postGeneric(
      http.url,
      JSON.stringify({ type: "customer.opted_out", at: "2026-06-18T10:30:00+08:00", customerId: CUSTOMER }),
      clock.now(),
    );
    await shop.queue.drain();

    // Assert
    const [letter] = await shop.store.listDeadLetters();
    expect(letter?.error).toMatch(/Required access: `write_customers` access scope/);
    expect(shopify.customers.get(CUSTOMER)?.smsMarketingState).toBe("SUBSCRIBED");
    await close();
  });

  it("withdraws it before forget erases the customer, and erases nothing while Shopify cannot be told", async () => {
    // Arrange
    const { shop, http, close } = await shopWithCustomers();
    const forget = () =>
      fetch(`${http.url}/admin/forget`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopcare-token": shop.token },
        body: JSON.stringify({ customerId: CUSTOMER }),
      });
    shopify.failNext = [500];

    // Act
    const refused = await forget();
    const kept = await shop.store.getCustomer(CUSTOMER);
    const done = await forget();

    // Assert
    expect(refused.status).toBe(500);
    expect(kept?.phone).toBe(PHONE);
    expect(done.status).toBe(200);
    expect(shopify.customers.get(CUSTOMER)?.smsMarketingState).toBe("UNSUBSCRIBED");
    expect(await shop.store.getCustomer(CUSTOMER)).toBeUndefined();
    await close();
  });
});
