import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { LOCAL_WEBHOOK_SECRET } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { virtualShop } from "../support/local.js";

describe("Aliyun's HTTP push through the real HTTP server", () => {
  let shop: LocalShop;
  let http: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    ({ shop } = await virtualShop("2026-06-18T10:00:00+08:00"));
    http = await startHttpServer(shop.routes);
  });
  afterAll(async () => {
    shop.stop();
    await http.close();
  });

  const reply = (phone: string) =>
    JSON.stringify([
      {
        phone_number: phone,
        content: "TD",
        send_time: "2026-06-18 10:05:00",
        dest_code: "1",
        sequence_id: 1,
      },
    ]);

  it("refuses a push without the URL's token or with a wrong one, keeping nothing it says", async () => {
    for (const query of ["", "?token=", "?token=guess"]) {
      const response = await fetch(`${http.url}/inbound/aliyun/replies${query}`, {
        method: "POST",
        body: reply("13800000007"),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ field: "token" });
    }
    const receipts = await fetch(`${http.url}/inbound/aliyun/receipts`, { method: "POST", body: "[]" });
    expect(receipts.status).toBe(401);
    expect(await shop.store.getPhoneOptOut("+8613800000007")).toBeUndefined();
  });

  it("applies a push that carries the token, answering Aliyun's {code: 0}", async () => {
    const response = await fetch(`${http.url}/inbound/aliyun/replies?token=${LOCAL_WEBHOOK_SECRET}`, {
      method: "POST",
      body: reply("13800000008"),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ code: 0 });
    expect(await shop.store.getPhoneOptOut("+8613800000008")).toBeDefined();
  });
});
