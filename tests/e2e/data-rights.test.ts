import { describe, expect, inject, it } from "vitest";
import { reportOfStore } from "../../functions/core/insight/store-report.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { cli } from "../support/cli.js";
import { FakeAccount, type FakeAccountState } from "../support/fake-account.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { june } from "../support/time.js";
import { postGeneric, shopifyHeaders } from "../support/webhooks.js";

/** Issue 35: a customer's right to a copy of their data and to its erasure. */

/** One customer's month as webhooks bring it: an order with their name, number and birthday, paid, shipped. */
function month(
  customerId: string,
  orderId: string,
  { name, phone, birthday }: { name: string; phone: string; birthday: string },
): ShopEvent[] {
  const created = orderCreated(june("18", "10:00"), { id: orderId, customerId, name, phone });
  if (created.type === "order.created") created.order.customer.birthday = birthday;
  return [
    created,
    { type: "order.paid", at: june("18", "10:05"), orderId },
    { type: "order.shipped", at: june("19", "09:00"), orderId, carrier: "顺丰", trackingNo: `SF${orderId}` },
  ];
}

/** The customer who asks to be forgotten. */
const GONE = { name: "林晓", phone: "+8613900001111", birthday: "07-09" };

/** A local shop on a real HTTP server, with two customers' months posted as signed webhooks and decided. */
async function shopWithTwoCustomers(tableName?: string, config: unknown = {}) {
  const { shop, clock } = await virtualShop(june("18", "09:00"), config, tableName ? { tableName } : {});
  const http = await startHttpServer(shop.routes);
  const post = async (event: ShopEvent) => {
    const body = JSON.stringify(event);
    const response = await postGeneric(http.url, body, clock.now());
    expect(response.status).toBe(202);
  };
  for (const event of [
    ...month("c-gone", "F1", GONE),
    ...month("c-stays", "S1", { name: "王芳", phone: "+8613900002222", birthday: "11-11" }),
  ]) {
    await post(event);
  }
  await shop.queue.drain();
  await clock.advanceTo(new Date(june("20", "12:00")));
  return { shop, clock, http, post };
}

describe("forget and export", () => {
  it("forgets a customer: no trace in a scan, the report's totals unchanged, and a replay of the archive brings nothing back", async () => {
    // Arrange
    const { shop, clock, http } = await shopWithTwoCustomers();
    try {
      const before = await reportOfStore(shop.store, shop.config, clock.now());
      const sent = (await shop.store.listDecisions()).filter((d) => d.customerId === "c-gone" && d.text);
      expect(sent.length).toBeGreaterThan(0);

      // Act
      const forgotten = await cli(["forget", "--customer", "c-gone", "--url", http.url]);
      const replayed = await cli([
        "replay",
        ...["--from", june("01", "00:00"), "--to", june("30", "00:00"), "--url", http.url],
      ]);
      await shop.queue.drain();

      // Assert: what it erased, item by item; none of the customer's traces anywhere in the table.
      expect(forgotten.stderr).toBe("");
      expect(forgotten.stdout).toMatch(
        /^forgot c-gone: .*1 profile.*; 3 tombstone\(s\); \d+ execution\(s\) stopped; kept as forgotten-/,
      );
      expect(forgotten.stdout).toMatch(/\b3 webhook\b/);
      expect(replayed.code).toBe(0);
      const scan = JSON.stringify(await shop.store.scanAll());
      for (const trace of ["林晓", "+8613900001111", "13900001111", "07-09", "c-gone", "F1", "SFF1"])
        expect(scan, trace).not.toContain(trace);
      for (const { text } of sent) expect(scan).not.toContain(text as string);
      expect((await reportOfStore(shop.store, shop.config, clock.now())).totals).toEqual(before.totals);
      // The other customer is untouched.
      expect(await shop.store.getCustomer("c-stays")).toMatchObject({ name: "王芳", birthday: "11-11" });
      expect(scan).toContain("+8613900002222");
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("keeps nothing of a late delivery from before the forget, and takes a new order after it as a new customer", async () => {
    // Arrange
    const { shop, clock, http, post } = await shopWithTwoCustomers();
    try {
      await cli(["forget", "--customer", "c-gone", "--url", http.url]);

      // Act: the platform delivers the old order again (a retry), then the customer orders anew.
      const [created] = month("c-gone", "F1", GONE);
      await post(created as ShopEvent);
      await clock.advanceTo(new Date(june("20", "13:00")));
      await post(orderCreated(clock.now().toISOString(), { id: "F2", customerId: "c-gone", name: "林晓" }));
      await shop.queue.drain();

      // Assert: the old order is not back, its body is emptied; the new order starts a new record.
      expect(await shop.store.getOrder("F1")).toBeUndefined();
      const bodies = (await shop.store.scanAll())
        .filter((item) => item.sk === "RAW")
        .map((item) => item.body);
      expect(bodies.filter((body) => String(body).includes("F1"))).toEqual([]);
      expect(await shop.store.getOrder("F2")).toMatchObject({ customerId: "c-gone" });
      expect(await shop.store.getCustomer("c-gone")).toMatchObject({ name: "林晓" });
      expect((await shop.store.getCustomer("c-gone"))?.birthday).toBeUndefined();
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("exports everything held about a number's customer as JSON: profile, consent, orders, decisions with texts", async () => {
    // Arrange
    const { shop, http } = await shopWithTwoCustomers();
    try {
      // Act
      const exported = await cli(["export", "--phone", "+8613900001111", "--url", http.url]);

      // Assert
      const { customers } = JSON.parse(exported.stdout) as { customers: Record<string, unknown[]>[] };
      expect(customers).toHaveLength(1);
      const [customer] = customers as [Record<string, unknown>];
      expect(customer.customerId).toBe("c-gone");
      expect(customer.profile).toEqual([expect.objectContaining({ name: "林晓", birthday: "07-09" })]);
      expect(customer.order).toEqual([expect.objectContaining({ orderId: "F1" })]);
      expect(customer.decision).toContainEqual(
        expect.objectContaining({ journey: "shipped", outcome: "sent", to: "+8613900001111" }),
      );
      expect(customer.webhook).toHaveLength(3);
      expect(JSON.stringify(customers)).not.toContain("王芳");
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("takes Shopify's compliance webhooks: customers/redact forgets, customers/data_request tells the operators", async () => {
    // Arrange: the payloads as "Privacy law compliance" (shopify.dev) shows them, signed like any topic.
    const { shop, http } = await shopWithTwoCustomers();
    const deliver = (topic: string, body: string) =>
      fetch(`${http.url}/webhooks/shopify`, {
        method: "POST",
        body,
        headers: shopifyHeaders(body, topic, `compliance-${topic}`),
      });
    try {
      // Act
      const requested = await deliver(
        "customers/data_request",
        '{"shop_id":954889,"shop_domain":"example.myshopify.com","orders_requested":[299938],"customer":{"id":"c-stays","email":"w@example.com","phone":"+8613900002222"},"data_request":{"id":9999}}',
      );
      const redacted = await deliver(
        "customers/redact",
        '{"shop_id":954889,"shop_domain":"example.myshopify.com","customer":{"id":"c-gone","email":"l@example.com","phone":"+8613900001111"},"orders_to_redact":[299938]}',
      );
      const shopRedact = await deliver(
        "shop/redact",
        '{"shop_id":954889,"shop_domain":"example.myshopify.com"}',
      );
      await shop.queue.drain();

      // Assert
      expect([requested.status, redacted.status, shopRedact.status]).toEqual([202, 202, 202]);
      expect(await shop.store.getCustomer("c-gone")).toBeUndefined();
      const scan = JSON.stringify(await shop.store.scanAll());
      for (const trace of ["林晓", "+8613900001111", "l@example.com"])
        expect(scan, trace).not.toContain(trace);
      const handoffs = (await shop.store.listOutbox()).filter((entry) => entry.kind === "handoff");
      expect(handoffs.map((entry) => entry.text)).toContainEqual(
        expect.stringContaining("data request 9999: customer c-stays asked for a copy of their data"),
      );
      // Nothing says the shop it names is this one (shopify.shop unset): kept and ignored.
      expect(await shopRedact.json()).toMatchObject({
        ignored:
          "shop/redact for example.myshopify.com not confirmed: shopify.shop is not set (docs/data-rights.md)",
      });
      expect(await shop.store.getCustomer("c-stays")).toMatchObject({ name: "王芳" });
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("takes Shopify's shop/redact for this shop only, and then erases every customer and number, page after page", async () => {
    // Arrange: two customers' months, 25 more customers (more than a page), a number no order carries.
    const { shop, clock, http, post } = await shopWithTwoCustomers(undefined, {
      shopify: { shop: "example.myshopify.com" },
    });
    const deliver = (body: string) =>
      fetch(`${http.url}/webhooks/shopify`, {
        method: "POST",
        body,
        headers: shopifyHeaders(body, "shop/redact", `redact-${body.length}`),
      });
    try {
      for (let n = 10; n < 35; n += 1)
        await post(
          orderCreated(clock.now().toISOString(), {
            id: `P${n}`,
            customerId: `c-${n}`,
            name: `顾客${n}号`,
            phone: `+86139000010${n}`,
          }),
        );
      await post({ type: "customer.opted_out", at: clock.now().toISOString(), phone: "+8613900003333" });
      await shop.queue.drain();

      // Act: first for another shop the same app serves, then for this one ("Privacy law compliance").
      const other = await deliver('{"shop_id":1,"shop_domain":"other.myshopify.com"}');
      await shop.queue.drain();
      const afterOther = await shop.store.getCustomer("c-stays");
      const ours = await deliver('{"shop_id":954889,"shop_domain":"example.myshopify.com"}');
      await shop.queue.drain();

      // Assert
      expect(await other.json()).toMatchObject({
        ignored: "shop/redact for other.myshopify.com, not this shop (example.myshopify.com)",
      });
      expect(afterOther).toMatchObject({ name: "王芳" });
      expect(ours.status).toBe(202);
      const scan = JSON.stringify(await shop.store.scanAll());
      const traces = ["林晓", "王芳", "顾客10号", "顾客34号", "+8613900001111", "+8613900002222"];
      for (const trace of [...traces, "+861390000134", "+8613900003333", "07-09", "11-11"])
        expect(scan, trace).not.toContain(trace);
      for (const id of ["c-gone", "c-stays", "c-10", "c-34"])
        expect(await shop.store.getCustomer(id), id).toBeUndefined();
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("exports and forgets through a deployed shop's table (--table), with the operator's credentials", async () => {
    // Arrange: DynamoDB Local behind the endpoint override stands in for the deployed table.
    const tableName = `data-rights-${Date.now()}`;
    const { shop, http } = await shopWithTwoCustomers(tableName);
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    try {
      // Act
      const exported = await cli(["export", "--customer", "c-gone", "--table", tableName], env);
      const forgotten = await cli(["forget", "--customer", "c-gone", "--table", tableName, "--json"], env);

      // Assert
      expect(JSON.parse(exported.stdout).customers[0].profile[0]).toMatchObject({ name: "林晓" });
      expect(JSON.parse(forgotten.stdout)).toMatchObject({ customerId: "c-gone", stopped: 0 });
      expect(JSON.stringify(await shop.store.scanAll())).not.toContain("林晓");
    } finally {
      shop.stop();
      await http.close();
    }
  });

  it("forgets through a deployed stack (--stack): its table by its outputs, its running executions stopped", async () => {
    // Arrange: the shop's table on DynamoDB Local; its stack's outputs and Step Functions in a fake account
    // holding a running execution for each the customer's notes say was started.
    const tableName = `data-rights-stack-${Date.now()}`;
    const { shop, http } = await shopWithTwoCustomers(tableName);
    const machine = (journey: string) =>
      `arn:aws:states:us-east-1:111122223333:stateMachine:Shopcare-${journey}`;
    const notes = (await shop.store.scanAll()).filter(
      (item) => item.pk === "CUSTOMER#c-gone" && String(item.sk).startsWith("EXEC#"),
    );
    const ended = new Set(notes.filter((item) => item.action === "stopped").map((item) => item.name));
    const started = notes.filter((item) => item.action === "started" && !ended.has(item.name));
    const arnOf = (item: Record<string, unknown>) =>
      `${machine(String(item.journey)).replace(":stateMachine:", ":execution:")}:${String(item.name)}`;
    const account = await new FakeAccount({
      stacks: {
        Shopcare: {
          status: "UPDATE_COMPLETE",
          outputs: {
            TableName: tableName,
            StateMachineArns: JSON.stringify(
              Object.fromEntries(started.map((item) => [item.journey, machine(String(item.journey))])),
            ),
          },
        },
      },
      secrets: {},
      executions: Object.fromEntries(started.map((item) => [arnOf(item), "RUNNING"])),
    } as unknown as FakeAccountState).start();
    const env = {
      AWS_ENDPOINT_URL: account.url,
      AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    try {
      // Act
      const forgotten = await cli(["forget", "--customer", "c-gone", "--stack", "Shopcare", "--json"], env);

      // Assert
      expect(started.length).toBeGreaterThan(0);
      expect(forgotten.stderr).toBe("");
      expect(JSON.parse(forgotten.stdout)).toMatchObject({ customerId: "c-gone", stopped: started.length });
      expect(Object.values(account.state.executions ?? {})).toEqual(started.map(() => "ABORTED"));
      expect(JSON.stringify(await shop.store.scanAll())).not.toContain("林晓");
    } finally {
      await account.stop();
      shop.stop();
      await http.close();
    }
  });

  it("refuses a request that does not say whom, naming the options", async () => {
    const result = await cli([
      "forget",
      "--customer",
      "c1",
      "--phone",
      "+8613900001111",
      "--url",
      "http://x",
    ]);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("forget: one of --customer ID or --phone P");
  });

  it("takes no full-width or odd-Unicode number for one, on the command line or the route", async () => {
    // Arrange: a full-width plus and digits, and Arabic-Indic digits, for the forgotten customer's number.
    const { shop, http } = await shopWithTwoCustomers();
    try {
      const odd = ["＋８６１３９００００１１１１", "+٨٦١٣٩٠٠٠٠١١١١"];

      // Act
      const commands = await Promise.all(
        odd.map((phone) => cli(["export", "--phone", phone, "--url", http.url])),
      );
      const page = await fetch(`${http.url}/`);
      const token = /shopcare-token" content="([^"]+)/.exec(await page.text())?.[1] ?? "";
      const routes = await Promise.all(
        odd.map((phone) =>
          fetch(`${http.url}/admin/forget`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-shopcare-token": token },
            body: JSON.stringify({ phone }),
          }),
        ),
      );

      // Assert: refused by name; nothing forgotten.
      for (const command of commands) {
        expect(command.code).not.toBe(0);
        expect(command.stderr).toContain("export: one of --customer ID or --phone P (E.164");
      }
      expect(routes.map((response) => response.status)).toEqual([400, 400]);
      expect(await routes[0]?.json()).toMatchObject({
        error: expect.stringContaining("phone: an E.164 number"),
      });
      expect(await shop.store.getCustomer("c-gone")).toMatchObject({ name: "林晓" });
    } finally {
      shop.stop();
      await http.close();
    }
  });
});
