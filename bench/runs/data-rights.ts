import { parseShopConfig } from "../../functions/core/config/config.js";
import { forgetCustomer } from "../../functions/core/customers/forget.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { createLocalShop } from "../../functions/local/emulator/runtime.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { num, record, round } from "../harness.js";
import { putCustomer } from "./crm.js";

/**
 * Forgetting one customer in a table of `--forget-customers` (1,000,000) others: the customer's month
 * (an order with their name, number and birthday, paid, shipped, its notices sent) decided on the local
 * engine, then `forget`; the table's requests counted against the items it found (no Scan: the figure stays
 * the same whatever the table holds).
 */
export async function forgetRun(_dynamo?: unknown) {
  const others = num("forget-customers");
  const clock = new VirtualClock(new Date("2026-06-18T09:00:00+08:00"));
  const table = new MemoryTable();
  const shop = await createLocalShop({ config: parseShopConfig({}), clock, activity: clock, dynamo: table });
  for (let index = 0; index < others; index += 1)
    await putCustomer(shop.store, index, "2026-05-01T10:00:00+08:00", 100);
  await shop.queue.enqueue(
    [
      {
        type: "order.created",
        at: "2026-06-18T10:00:00+08:00",
        order: {
          id: "F1",
          customer: { id: "c-forget", phone: "+8613900001111", name: "林晓", birthday: "07-09" },
          amount: 129,
          currency: "CNY",
          paymentMethod: "online",
          gift: false,
          items: [],
        },
      },
      { type: "order.paid", at: "2026-06-18T10:05:00+08:00", orderId: "F1" },
      {
        type: "order.shipped",
        at: "2026-06-19T09:00:00+08:00",
        orderId: "F1",
        carrier: "顺丰",
        trackingNo: "SF1",
      },
    ],
    "bench",
  );
  await shop.queue.drain();
  await clock.advanceTo(new Date("2026-06-20T12:00:00+08:00"));
  const before = { ...table.requests };
  const started = performance.now();
  const [forgotten] = await forgetCustomer(
    { personal: shop.store },
    { customerId: "c-forget" },
    clock.now().toISOString(),
  );
  const seconds = (performance.now() - started) / 1000;
  shop.stop();
  const requests = table.requests.reads - before.reads + (table.requests.writes - before.writes);
  const items = Object.values(forgotten?.counts.items ?? {}).reduce((sum, count) => sum + count, 0);
  const ratio = round(requests / Math.max(1, items), 2);
  record({
    figure: "forget: requests per item held",
    value: ratio,
    unit: "",
    target: "≤ 3",
    met: ratio <= 3 && items > 0,
    detail: `${requests} requests (${table.requests.reads - before.reads} reads, ${table.requests.writes - before.writes} writes) for ${items} items (${Object.entries(
      forgotten?.counts.items ?? {},
    )
      .map(([kind, count]) => `${count} ${kind}`)
      .join(
        ", ",
      )}) and ${forgotten?.counts.tombstones} tombstones, in a table of ${others} other customers; ${round(seconds * 1000, 1)} ms`,
  });
}
