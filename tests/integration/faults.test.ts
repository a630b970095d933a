import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import type { SmsProvider } from "../../functions/core/config/messaging.js";
import { classifyAwsError } from "../../functions/providers/aws-errors.js";
import { STEP_RETRIES } from "../../workflows/journey-loop.js";
import { dynamo, orderCreated, summary, virtualShop } from "../support/local.js";

/** The first reminder only, due at once, any hour: the journey's fault handling is what is under test. */
const CONFIG = {
  windows: { notice: { start: "00:00", end: "24:00" } },
  // The order auto-closes before the 2nd reminder is due: one send per order.
  journeys: { paymentReminder: { firstAfter: "0s", autoCloseAfter: "2h" } },
};

describe("faults on the synthesized machines (local engine, DynamoDB Local, virtual clock)", () => {
  it("retries GiveUp through DynamoDB throttling instead of failing the execution", async () => {
    // Every send fails as certainly-not-sent, so the Step task exhausts its retries and GiveUp records the
    // skip; then DynamoDB throttles GiveUp's first two writes, as a hot partition would.
    let sends = 0;
    // The last try's own write (freeing its claim) goes through; the next two writes, GiveUp's, are throttled.
    let passThrough = 0;
    let throttles = 0;
    const sms: SmsProvider = {
      name: "outbox",
      send: async () => {
        sends += 1;
        if (sends === 1 + STEP_RETRIES) [passThrough, throttles] = [1, 2];
        throw classifyAwsError({ name: "InternalError", $metadata: { httpStatusCode: 500 } });
      },
    };
    const client = dynamo();
    // Before the SDK sends anything: DynamoDB's answer to a write on a throttled partition.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const write = !/^(Get|Query|Scan)/.test(String(context.commandName));
        if (write && passThrough > 0) passThrough -= 1;
        else if (write && throttles > 0) {
          throttles -= 1;
          throw new ProvisionedThroughputExceededException({ message: "throttled", $metadata: {} });
        }
        return next(args);
      },
      { step: "initialize", name: "throttleWrites" },
    );
    const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00", CONFIG, {
      sms,
      dynamo: client,
    });
    await shop.queue.enqueue([orderCreated("2026-06-18T10:00:00+08:00", { id: "throttled" })], "test");
    await shop.queue.drain();
    await clock.runUntilIdle();
    expect(failures).toEqual([]);
    expect(sends).toBe(1 + STEP_RETRIES);
    expect(throttles).toBe(0);
    const [first] = summary(await shop.store.listDecisions()).filter((decision) => decision.step === "first");
    expect(first).toMatchObject({ outcome: "skipped", reason: "provider-failed" });
  });

  it("retries a send the provider refuses for the account (access denied) instead of skipping it, and sends once fixed", async () => {
    let sends = 0;
    const sms: SmsProvider = {
      name: "outbox",
      send: async () => {
        sends += 1;
        if (sends <= 2)
          throw classifyAwsError({
            name: "AccessDeniedException",
            message: "not authorized",
            $metadata: { httpStatusCode: 403 },
          });
        return { provider: "outbox", messageId: `m-${sends}` };
      },
    };
    const { shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00", CONFIG, { sms });
    await shop.queue.enqueue([orderCreated("2026-06-18T10:00:00+08:00", { id: "denied" })], "test");
    await shop.queue.drain();
    await clock.runUntilIdle();
    expect(failures).toEqual([]);
    expect(sends).toBe(3);
    const [first] = summary(await shop.store.listDecisions()).filter((decision) => decision.step === "first");
    expect(first).toMatchObject({ outcome: "sent" });
  });
});

describe("an opt-out recorded while a marketing send waits", () => {
  it("wins over the send: an opt-out during the rate wait skips the gift as opted-out and the provider is never called", async () => {
    let store: import("../../functions/adapters/dynamodb/store.js").Store | undefined;
    let waits = 0;
    const provider: string[] = [];
    const sms: SmsProvider = {
      name: "outbox",
      send: async (message) => {
        provider.push(message.templateId);
        return { provider: "outbox", messageId: `m-${provider.length}` };
      },
    };
    const { shop, clock, failures } = await virtualShop(
      "2026-01-05T09:00:00+08:00",
      {
        journeys: {
          gift100: { enabled: false },
          winback: { enabled: false },
          paymentReminder: { enabled: false },
        },
      },
      {
        sms,
        // The number replies TD while its gift waits for a send-rate ticket.
        rateLimiter: {
          acquire: async () => {
            waits += 1;
            await store?.recordPhoneOptOut("+8613900000042", clock.now().toISOString(), "sms-two-way");
          },
        },
      },
    );
    store = shop.store;
    await shop.queue.enqueue(
      [
        orderCreated("2026-01-05T09:00:00+08:00", { id: "g1", customerId: "gina", phone: "+8613900000042" }),
        { type: "order.paid", at: "2026-01-05T09:10:00+08:00", orderId: "g1" },
      ],
      "test",
    );
    await shop.queue.drain();
    await clock.runUntilIdle();
    expect(failures).toEqual([]);
    expect(waits).toBe(1);
    expect(provider).toEqual([]);
    const gift = summary(await shop.store.listDecisions()).find((d) => d.step === "gift");
    expect(gift).toMatchObject({ outcome: "skipped", reason: "opted-out" });
  });
});
