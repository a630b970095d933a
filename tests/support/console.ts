import type { Page } from "playwright-core";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { orderCreated, virtualShop } from "./local.js";
import { postGeneric } from "./webhooks.js";

/**
 * A shop on a real HTTP server whose customer's payment reminder went out: one signed order at 10:00 on
 * 18 June, the clock at 11:30.
 */
export async function shopWithReminder(config: unknown, order: { id: string; customerId: string }) {
  const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00", config);
  const http = await startHttpServer(shop.routes);
  const body = JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", order));
  await postGeneric(http.url, body, clock.now());
  await shop.queue.drain();
  await clock.advanceTo(new Date("2026-06-18T11:30:00+08:00"));
  return { shop, clock, failures, http };
}

/** Opens the console, waits until it is ready, and searches a customer's timeline. */
export async function searchCustomer(page: Page, origin: string, customerId: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#search-value", customerId);
  await page.click("#search-form button");
  await page.waitForSelector("#timeline li");
}
