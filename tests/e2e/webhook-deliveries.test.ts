import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { JourneyStarter } from "../../functions/core/engine/dispatch.js";
import { createWebhookRouter, type EventQueue } from "../../functions/handlers/ingest.js";
import { LOCAL_WEBHOOK_SECRET } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { postGeneric } from "../support/webhooks.js";

const run = promisify(execFile);
const CLI = new URL("../../functions/local/cli/shopcare.mjs", import.meta.url).pathname;

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
  const send = (body: string) => postGeneric(http.url, body, clock.now());
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
      const accepted = await postGeneric(http.url, body, clock.now());
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
