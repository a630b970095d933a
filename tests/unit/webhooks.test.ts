import { describe, expect, it } from "vitest";
import { decodeKuaidi100, kuaidi100ToEvents } from "../../functions/core/intake/webhooks/kuaidi100.js";
import { parseJson, WebhookPayloadError } from "../../functions/core/intake/webhooks/payload.js";
import { toE164 } from "../../functions/core/intake/webhooks/phone.js";
import { shopifyToEvents } from "../../functions/core/intake/webhooks/shopify.js";
import { md5Upper, safeEqual } from "../../functions/core/intake/webhooks/signatures.js";
import { kuaidi100Company } from "../../functions/core/parcels/companies.js";
import { subscriptionParam } from "../../functions/core/parcels/subscriptions.js";
import { fixture } from "../support/webhooks.js";

describe("webhook adapters", () => {
  it("normalises phone numbers to E.164 with the address's country, and drops invalid ones", () => {
    expect(toE164("138 0013 8000", "CN")).toBe("+8613800138000");
    expect(toE164("+86 138-0013-8000")).toBe("+8613800138000");
    expect(toE164("(415) 555-2671", "US")).toBe("+14155552671");
    expect(toE164("07911 123456", "GB")).toBe("+447911123456");
    expect(toE164("555-555-SHIP", "US")).toBeUndefined();
    expect(toE164(12345, "CN")).toBeUndefined();
  });

  it("keeps ids beyond 2^53 as their digits", () => {
    expect(parseJson('{"id":820982911946154508,"n":1.5}')).toEqual({ id: "820982911946154508", n: 1.5 });
    expect(() => parseJson("{")).toThrow(WebhookPayloadError);
  });

  it("maps a Shopify paid order to order.created and order.paid, cash on delivery included", () => {
    const order = parseJson(fixture("shopify-orders-create.json")) as Record<string, unknown>;
    const events = shopifyToEvents("orders/create", {
      ...order,
      financial_status: "paid",
      payment_gateway_names: ["Cash on Delivery (COD)"],
    });
    expect(events.map((event) => event.type)).toEqual(["order.created", "order.paid"]);
    expect(events[0]).toMatchObject({
      order: { id: "820982911946154508", paymentMethod: "cod", amount: 398 },
    });
    expect(events[0]?.type === "order.created" && events[0].order.items).toHaveLength(2);
  });

  it("maps a Shopify order's shipping country and province codes to the address's region (its sending rules)", () => {
    const order = parseJson(fixture("shopify-orders-create.json")) as Record<string, unknown>;
    const shipping = order.shipping_address as Record<string, unknown>;
    const regionOf = (address: Record<string, unknown>) => {
      const [created] = shopifyToEvents("orders/create", { ...order, shipping_address: address });
      return created?.type === "order.created" ? created.order.address?.region : undefined;
    };

    expect(regionOf(shipping)).toBe("CN-SH");
    expect(regionOf({ ...shipping, country_code: "US", province_code: "FL" })).toBe("US-FL");
    expect(regionOf({ ...shipping, country_code: "us", province_code: null })).toBe("US");
    expect(regionOf({ ...shipping, country_code: "United States", province_code: "FL" })).toBeUndefined();
  });

  it("names the Shopify field at fault", () => {
    expect(() => shopifyToEvents("orders/cancelled", { id: 1, cancelled_at: "never" })).toThrow(
      "cancelled_at: expected an ISO 8601 time",
    );
    expect(() => shopifyToEvents("refunds/create", { created_at: "2026-06-18T10:00:00Z" })).toThrow(
      "order_id: expected the Shopify id",
    );
  });

  it("maps Shopify's SMS marketing consent to customer.consent: given, withdrawn, and not given (nothing)", () => {
    const update = (state: string | null, extra: Record<string, unknown> = {}) =>
      shopifyToEvents("customers_marketing_consent/update", {
        id: 706405506930370084n.toString(),
        phone: "+1 (415) 555-0100",
        sms_marketing_consent: {
          state,
          opt_in_level: "single_opt_in",
          consent_updated_at: "2026-06-18T10:00:00-07:00",
          consent_collected_from: "SHOPIFY",
          ...extra,
        },
      });

    const given = update("subscribed");
    const withdrawn = update("UNSUBSCRIBED");
    const never = [update("not_subscribed"), update("pending"), update(null)];
    const broken = () => update("maybe");
    const untimed = () => update("subscribed", { consent_updated_at: null });

    expect(given).toEqual([
      {
        type: "customer.consent",
        at: "2026-06-18T10:00:00-07:00",
        customerId: "706405506930370084",
        phone: "+14155550100",
        state: "subscribed",
        source: "shopify:shopify",
      },
    ]);
    expect(withdrawn[0]).toMatchObject({ state: "unsubscribed" });
    expect(never).toEqual([[], [], []]);
    expect(broken).toThrow(/sms_marketing_consent\.state: unknown consent state "maybe"/);
    expect(untimed).toThrow(/sms_marketing_consent\.consent_updated_at/);
  });

  it("maps Shopify's checkouts/create to checkout.updated, and an order's checkout_token to order.checkoutToken", () => {
    // Arrange
    const checkout = parseJson(fixture("shopify-checkouts-create.json"));
    const guest = { ...(checkout as Record<string, unknown>), customer: null };
    const order = parseJson(
      fixture("shopify-orders-create.json").replace(
        '"checkout_token": null',
        '"checkout_token": "123123123"',
      ),
    );

    // Act
    const [updated] = shopifyToEvents("checkouts/create", checkout);
    const [guestUpdated] = shopifyToEvents("checkouts/update", guest);
    const [created] = shopifyToEvents("orders/create", order);

    // Assert
    expect(updated).toEqual({
      type: "checkout.updated",
      at: "2026-06-18T10:00:00+08:00",
      checkout: {
        token: "123123123",
        customer: { id: "115310627314723954", phone: "+8613800138000", name: "芳" },
        amount: 398,
        currency: "CNY",
        items: [{ sku: "IPOD2008PINK", name: "IPod Nano - 8GB", quantity: 1, price: 199 }],
        url: "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token",
        region: "CN-ZJ",
      },
    });
    expect(guestUpdated).toMatchObject({ checkout: { customer: { id: "guest-checkout-123123123" } } });
    expect(created).toMatchObject({ type: "order.created", order: { checkoutToken: "123123123" } });
  });

  it("names the checkout's missing recovery URL", () => {
    const checkout = { ...(parseJson(fixture("shopify-checkouts-create.json")) as object) };
    expect(() => shopifyToEvents("checkouts/update", { ...checkout, abandoned_checkout_url: null })).toThrow(
      expect.objectContaining({ field: "abandoned_checkout_url" }),
    );
  });

  it("maps Kuaidi100 states to parcel events in China time, and ignores the states nobody is told about", () => {
    const param = JSON.parse(fixture("kuaidi100-push.json"));
    const at = (state: string) => {
      param.lastResult.state = state;
      return kuaidi100ToEvents(decodeKuaidi100(JSON.stringify(param)), "o1").map((e) => `${e.type} ${e.at}`);
    };
    expect(at("1001")).toEqual(["parcel.arrived_city 2026-06-20T07:33:19+08:00"]);
    expect(at("5")).toEqual(["parcel.out_for_delivery 2026-06-20T07:33:19+08:00"]);
    expect(at("3")).toEqual(["parcel.delivered 2026-06-20T07:33:19+08:00"]);
    expect(at("0")).toEqual([]);
    param.lastResult.data = [];
    expect(() => decodeKuaidi100(JSON.stringify(param))).toThrow("param.lastResult.data");
  });

  it("compares signatures in constant time and signs Kuaidi100 pushes as upper-case MD5", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
    expect(safeEqual("abc", "abcd")).toBe(false);
    expect(md5Upper("")).toBe("D41D8CD98F00B204E9800998ECF8427E");
  });
});

describe("Kuaidi100 subscriptions", () => {
  it("names the carrier's Kuaidi100 company code, lets Kuaidi100 tell an unknown one, and gives SF the number's last 4 digits", () => {
    // Arrange
    const account = { key: "K", customer: "C", salt: "S" };
    const param = (carrier: string, phone?: string) =>
      JSON.parse(subscriptionParam(account, { carrier, trackingNo: "N1", phone }, "https://x/cb"));

    // Act
    const zto = param("中通快递", "+8613800138000");
    const sf = param("SF", "+8613800138000");
    const unknown = param("某某物流", "+8613800138000");

    // Assert
    expect(kuaidi100Company("圆通")).toBe("yuantong");
    expect(kuaidi100Company("EMS")).toBe("ems");
    expect(zto).toEqual({
      company: "zhongtong",
      number: "N1",
      key: "K",
      parameters: { callbackurl: "https://x/cb", salt: "S", resultv2: "4" },
    });
    expect(sf.parameters.phone).toBe("8000");
    expect(unknown).toMatchObject({ company: "", parameters: { autoCom: "1", phone: "8000" } });
  });
});
