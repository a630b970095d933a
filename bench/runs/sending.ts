import { SNSClient } from "@aws-sdk/client-sns";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { deliverStep } from "../../functions/core/engine/decide.js";
import { ReservedSendRate } from "../../functions/core/engine/rate.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import { systemClock } from "../../functions/core/shared/clock.js";
import type { ExecutionState, JourneyId } from "../../functions/core/shared/model.js";
import type { startDynamoDbLocal } from "../../functions/local/emulator/dynamodb-local.js";
import { type CloudFormationTemplate, LocalJourneyEngine } from "../../functions/local/emulator/engine.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { OutboxOperatorChannel } from "../../functions/local/emulator/outbox.js";
import { createLocalShop } from "../../functions/local/emulator/runtime.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { simulate } from "../../functions/local/simulator/simulate.js";
import { SnsSmsProvider } from "../../functions/providers/sns.js";
import { HANDLERS } from "../../infra/shopcare-stack.js";
import { FakeSmsApis } from "../../tests/support/fake-providers.js";
import { flags, load, num, record, round } from "../harness.js";

/** State transitions per second of the local engine running the journeys' machines with no-op tasks. */
export async function engineAlone(template: CloudFormationTemplate, executions: number): Promise<number> {
  const clock = new VirtualClock(new Date("2026-01-01T00:00:00Z"));
  const stepsPerExecution = 3;
  const noop = async (state: ExecutionState): Promise<ExecutionState> => {
    const taken = Number(state.next?.kind === "wait" ? state.next.step : 0) + 1;
    const sendAt = new Date(clock.now().getTime() + 86_400_000).toISOString();
    return {
      ...state,
      next: taken < stepsPerExecution ? { kind: "wait", step: String(taken), sendAt } : { kind: "done" },
    };
  };
  const engine = new LocalJourneyEngine({
    template,
    handlers: Object.fromEntries(HANDLERS.map((name) => [name, noop])),
    clock,
    activity: clock,
    retryIntervalMs: 0,
  });
  const started = performance.now();
  for (let index = 0; index < executions; index += 1) {
    const journey = engine.journeys[index % engine.journeys.length] as JourneyId;
    const sendAt = new Date(clock.now().getTime() + (index % 1440) * 60_000).toISOString();
    await engine.start(journey, `noop-${index}`, {
      journey,
      orderId: `o${index}`,
      enteredAt: clock.now().toISOString(),
      next: { kind: "wait", step: "0", sendAt },
    } as ExecutionState);
  }
  await clock.runUntilIdle();
  await engine.drain();
  return engine.transitions / ((performance.now() - started) / 1000);
}

export async function sendRate(dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>) {
  const rate = num("provider-rate");
  const total = num("messages");
  const fake = await new FakeSmsApis({ perSecond: rate }).start();
  const config = parseShopConfig({ sms: { ratePerSecond: rate } });
  const table = flags["send-store"];
  const shop = await createLocalShop({
    config,
    clock: systemClock,
    dynamo: table === "memory" ? new MemoryTable() : dynamo.client,
    template: synthesizeTemplate(config),
  });
  const sms = new SnsSmsProvider(
    new SNSClient({
      endpoint: fake.url,
      region: "ap-southeast-1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
      maxAttempts: 1,
    }),
  );
  const deps = {
    config,
    clock: systemClock,
    store: shop.store,
    sms,
    operators: new OutboxOperatorChannel(shop.store, systemClock, undefined),
    rateLimiter: new ReservedSendRate(shop.store, systemClock, "sns", rate),
    coupons: { issue: async () => "" },
  };
  const created = new Date(Date.now() - 3_600_000).toISOString();
  await load(total, 32, async (i) => {
    const order = {
      id: `r${i}`,
      customer: { id: `rc${i}`, phone: `+86139${String(i).padStart(8, "0")}`, name: "王芳" },
      amount: 129,
      currency: "CNY",
      paymentMethod: "online" as const,
      gift: false,
      items: [],
    };
    await shop.store.recordOrderCreated(order, created);
  });
  fake.resetMeter();
  let retried = 0;
  let holds = 0;
  const started = performance.now();
  await load(total, 64, async (i) => {
    const state = {
      journey: "payment-reminder" as const,
      orderId: `r${i}`,
      customerId: `rc${i}`,
      enteredAt: created,
      next: { kind: "send" as const, step: "first" },
    };
    // The state machine's retry: a throttled or failed send frees its claim and is tried again; a send
    // whose rate slot is further off is held until it (the state machine's Wait) and sent in it.
    let current: ExecutionState = state;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await deliverStep(deps, current);
        if (result.next?.kind !== "hold") return;
        holds += 1;
        await systemClock.sleepUntil(new Date(result.next.sendAt));
        current = { ...state, next: { kind: "send", step: "first", rateSlot: result.next.rateSlot } };
        attempt -= 1;
      } catch (error) {
        if (attempt > 20) throw error;
        retried += 1;
      }
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const accepted = fake.accepted;
  const perReference = new Map<string, number>();
  for (const request of accepted) {
    const to = String(request.params.PhoneNumber);
    perReference.set(to, (perReference.get(to) ?? 0) + 1);
  }
  const duplicates = [...perReference.values()].filter((count) => count > 1).length;
  const throttled = fake.requests.filter((request) => request.outcome === "throttled").length;
  const lost = total - perReference.size;
  const achieved = round(accepted.length / seconds / rate);
  await fake.stop();
  record({
    figure: "send rate achieved / provider limit",
    value: achieved,
    unit: "",
    target: "≥ 0.95, 0 throttled, 0 duplicates, 0 lost",
    met: achieved >= 0.95 && throttled === 0 && duplicates === 0 && lost === 0,
    detail: `${total} messages in ${round(seconds, 1)} s against a provider that throttles above ${rate}/s: ${throttled} throttled, ${duplicates} duplicates, ${lost} lost, ${retried} retries, ${holds} held for their slot; table: ${table}`,
  });
}

export async function slotBurst(_dynamo?: unknown) {
  const total = num("burst-messages");
  const rate = num("provider-rate");
  const config = parseShopConfig({
    sms: { ratePerSecond: rate },
    journeys: {
      gift100: { enabled: false },
      winback: { enabled: false },
      paymentReminder: { enabled: false },
    },
  });
  // Every customer's first order paid at one moment: their 30-day gifts all fall due at one slot.
  const events: ShopEvent[] = [];
  for (let i = 0; i < total; i += 1) {
    const order = {
      id: `b${i}`,
      customer: { id: `bc${i}`, phone: `+86139${String(i).padStart(8, "0")}`, name: "王芳" },
      amount: 129,
      currency: "CNY",
      paymentMethod: "online" as const,
      gift: false,
      items: [],
    };
    events.push(
      { type: "order.created", at: "2026-01-05T09:00:00+08:00", order } as ShopEvent,
      { type: "order.paid", at: "2026-01-05T09:10:00+08:00", orderId: order.id } as ShopEvent,
    );
  }
  const started = performance.now();
  const result = await simulate({ config, events, dynamo: "memory" });
  const gifts = result.decisions.filter((d) => d.journey === "gift-30");
  const slot = Date.parse("2026-02-04T10:00:00+08:00");
  const sent = gifts.filter((d) => d.outcome === "sent");
  const last = Math.max(...sent.map((d) => Date.parse(d.at) - slot)) / 1000;
  const ideal = total / rate;
  const ratio = round(last / ideal);
  record({
    figure: "slot burst: last send after the slot / (messages ÷ rate)",
    value: ratio,
    unit: "",
    target: "≤ 1.1, all sent, none skipped",
    met: ratio <= 1.1 && sent.length === total && gifts.length === total,
    detail: `${total} gifts due at one slot at ${rate}/s: ${sent.length} sent, ${gifts.length - sent.length} skipped, the last ${round(last, 1)} s after the slot (ideal ${ideal} s); ${round((performance.now() - started) / 1000, 1)} s to simulate`,
  });
}
