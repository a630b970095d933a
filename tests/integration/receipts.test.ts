import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SmsProvider } from "../../functions/core/config/messaging.js";
import { advanceStep, deliverStep } from "../../functions/core/engine/decide.js";
import { ReservedSendRate } from "../../functions/core/engine/rate.js";
import { applyInbound } from "../../functions/core/intake/replies.js";
import { systemClock } from "../../functions/core/shared/clock.js";
import { OutboxOperatorChannel } from "../../functions/local/emulator/outbox.js";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { AliyunSmsProvider } from "../../functions/providers/aliyun.js";
import { EndUserMessagingProvider } from "../../functions/providers/end-user-messaging.js";
import { fromAliyunReports, fromSnsNotification } from "../../functions/providers/inbound-payloads.js";
import { FakeSmsApis } from "../support/fake-providers.js";
import { orderCreated, virtualShop } from "../support/local.js";

const fake = new FakeSmsApis({ aliyunSecret: "s3cret" });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** What the send step needs, on a local shop's table, sending through `sms`. */
function stepDeps(shop: LocalShop, sms: SmsProvider) {
  return {
    config: shop.config,
    clock: systemClock,
    store: shop.store,
    sms,
    operators: new OutboxOperatorChannel(shop.store, systemClock, undefined),
    rateLimiter: new ReservedSendRate(shop.store, systemClock, sms.name, 20),
    coupons: { issue: async () => "unused" },
  };
}

/** A payment reminder's first step sent through `sms` while the provider holds the request: ambiguous. */
async function ambiguousSend(sms: SmsProvider, orderId: string) {
  const { shop } = await virtualShop("2026-06-18T11:00:00+08:00");
  const created = orderCreated("2026-06-18T10:00:00+08:00", { id: orderId });
  if (created.type !== "order.created") throw new Error("unreachable");
  await shop.store.recordOrderCreated(created.order, created.at);
  fake.behaviour.stallNext = 1;
  await deliverStep(stepDeps(shop, sms), {
    journey: "payment-reminder",
    orderId,
    customerId: `c-${orderId}`,
    enteredAt: created.at,
    next: { kind: "send", step: "first" },
  });
  const decision = async () => (await shop.store.listDecisions()).find((d) => d.orderId === orderId);
  expect(await decision()).toMatchObject({ outcome: "sent", delivery: "unknown" });
  return { shop, decision };
}

describe("an ambiguous send (the provider held the request past the timeout) settled by its receipt", () => {
  it("End User Messaging: the delivery event's context.reference finds the send whose message id never came back", async () => {
    const sms = new EndUserMessagingProvider(
      new PinpointSMSVoiceV2Client({
        endpoint: fake.url,
        region: "ap-southeast-1",
        credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
        maxAttempts: 1,
        requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
      }),
      { configurationSetName: "shopcare" },
    );
    const { shop, decision } = await ambiguousSend(sms, "amb-eum");
    const [held] = fake.requests.filter((request) => request.outcome === "stalled").slice(-1);
    const reference = (held?.params.Context as Record<string, string> | undefined)?.reference;
    expect(reference).toBe("payment-reminder:amb-eum:first");
    const event = JSON.stringify({
      eventType: "TEXT_DELIVERED",
      eventTimestamp: Date.parse("2026-06-18T11:00:05+08:00"),
      messageId: "a-message-id-shopcare-never-saw",
      context: { reference, template: "payment-reminder.first" },
    });
    const [receipt] = fromSnsNotification(event, "2026-06-18T03:00:06.000Z");
    expect(await applyInbound({ store: shop.store, config: shop.config }, receipt as never)).toBe(
      "receipt-recorded",
    );
    expect(await decision()).toMatchObject({ outcome: "sent", delivery: "delivered" });
  });

  it("Aliyun: the report's out_id finds the send whose BizId never came back", async () => {
    const sms = new AliyunSmsProvider({
      signName: "小店",
      templateCodes: { "payment-reminder.first": "SMS_0001" },
      endpoint: fake.url,
      credentials: async () => ({ accessKeyId: "LTAITEST", accessKeySecret: "s3cret" }),
      timeoutMs: 300,
    });
    const { shop, decision } = await ambiguousSend(sms, "amb-ali");
    const [held] = fake.requests.filter((request) => request.outcome === "stalled").slice(-1);
    expect(held?.params.OutId).toBe("payment-reminder:amb-ali:first");
    const [receipt] = fromAliyunReports([
      {
        phone_number: "13800000000",
        send_time: "2026-06-18 11:00:00",
        report_time: "2026-06-18 11:00:09",
        success: false,
        err_code: "MOBILE_NOT_ON_SERVICE",
        biz_id: "900^0",
        out_id: String(held?.params.OutId),
      },
    ]);
    expect(await applyInbound({ store: shop.store, config: shop.config }, receipt as never)).toBe(
      "receipt-recorded",
    );
    expect(await decision()).toMatchObject({ outcome: "sent", delivery: "failed" });
  });
});

describe("a send whose step died between the provider call and its decision", () => {
  it("is given up as sent with delivery unknown, and its receipt (by the echoed reference) still settles it", async () => {
    const { shop } = await virtualShop("2026-06-18T11:00:00+08:00");
    const created = orderCreated("2026-06-18T10:00:00+08:00", { id: "crash1" });
    if (created.type !== "order.created") throw new Error("unreachable");
    await shop.store.recordOrderCreated(created.order, created.at);
    // The step claimed the ledger entry and sent; the process died before anything else was written.
    await shop.store.claimStep("payment-reminder", "crash1", "first", "2026-06-18T03:00:00.000Z");
    const sms: SmsProvider = {
      name: "end-user-messaging",
      send: async () => {
        throw new Error("the provider is not called again for a held claim");
      },
    };
    // The state machine's retries ran out (StepInFlightError: the claim is held), so GiveUp runs.
    await advanceStep(stepDeps(shop, sms), {
      journey: "payment-reminder",
      orderId: "crash1",
      customerId: "c-crash1",
      enteredAt: created.at,
      next: { kind: "wait", step: "first", sendAt: "2026-06-18T11:00:00+08:00" },
      failure: { Error: "StepInFlightError", Cause: "claim held" },
    });
    const decision = async () => (await shop.store.listDecisions()).find((d) => d.orderId === "crash1");
    expect(await decision()).toMatchObject({ outcome: "sent", delivery: "unknown" });
    const [receipt] = fromSnsNotification(
      JSON.stringify({
        eventType: "TEXT_DELIVERED",
        messageId: "id-the-step-never-stored",
        context: { reference: "payment-reminder:crash1:first" },
      }),
      "2026-06-18T03:05:00.000Z",
    );
    expect(await applyInbound({ store: shop.store, config: shop.config }, receipt as never)).toBe(
      "receipt-recorded",
    );
    expect(await decision()).toMatchObject({ outcome: "sent", delivery: "delivered" });
  });
});
