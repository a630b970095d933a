import { describe, expect, it } from "vitest";
import type { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { controlCampaign } from "../../functions/core/customers/campaigns.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { createLocalShop } from "../../functions/local/emulator/runtime.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { templateFor } from "../support/local.js";

/**
 * Issue 33: Step Functions fails an execution at 25,000 history events ("Quotas"). A campaign paging a large
 * directory at a low send rate loops for days, so its execution hands over to a fresh one carrying its state
 * (the machine's HandOver state, `states:startExecution` on itself) every `CAMPAIGN_RELAY_LOOPS` tasks. Here on
 * the local engine running the synthesized campaigns machine, relaying every 2 tasks.
 */

const JOURNEYS_OFF = Object.fromEntries(
  [
    "paymentReminder",
    "shipped",
    "arrived",
    "reviewCare",
    "gift30",
    "gift100",
    "winback",
    "refund",
    "completed",
    "logistics",
    "birthday",
  ].map((key) => [key, { enabled: false }]),
);

async function buyer(store: Store, index: number): Promise<void> {
  const customerId = `r${index}`;
  const paidAt = "2026-06-01T10:00:00+08:00";
  await store.recordCustomerContact(
    { customerId, phone: `+86139${String(index).padStart(8, "0")}`, name: "王芳" },
    paidAt,
  );
  await store.recordPurchase(customerId, {
    orderId: `ro${index}`,
    paidAt,
    amount: 99,
    refunded: 0,
    items: 1,
    categories: ["tea"],
  });
}

/** A shop on a virtual clock and an in-memory table with one campaign `id`, its `buyers` paid once. */
async function campaignShop(
  campaign: { id: string; until?: string },
  options: { ratePerSecond?: number; relayLoops?: number; buyers: number },
) {
  const config = parseShopConfig({
    sms: { ratePerSecond: options.ratePerSecond ?? 20 },
    segments: { buyers: { minPaidOrders: 1 } },
    campaigns: [
      {
        ...campaign,
        segment: "buyers",
        at: "2026-06-18T10:00:00+08:00",
        template: "【{shop}】{name}，618好礼。拒收请回复R",
      },
    ],
    journeys: JOURNEYS_OFF,
  });
  const clock = new VirtualClock(new Date("2026-06-18T09:00:00+08:00"));
  const failures: string[] = [];
  const shop = await createLocalShop({
    config,
    clock,
    activity: clock,
    dynamo: new MemoryTable(),
    template: templateFor(config),
    retryIntervalMs: 0,
    ...(options.relayLoops ? { campaignRelayLoops: options.relayLoops } : {}),
    onExecutionFailed: (name, error) => failures.push(`${name}: ${String(error)}`),
  });
  for (let index = 0; index < options.buyers; index += 1) await buyer(shop.store, index);
  return { config, clock, shop, failures };
}

describe("a long campaign hands over to fresh executions", () => {
  it("relays every few tasks, carrying its cursor: every member decided once, no execution's history past its share", async () => {
    // Arrange: 600 buyers at 2 messages a second (a task sends for a minute: about 120), relaying every 2 tasks.
    const { clock, shop, failures } = await campaignShop(
      { id: "relay" },
      { ratePerSecond: 2, relayLoops: 2, buyers: 600 },
    );

    // Act
    shop.scheduleCampaigns();
    await clock.runUntilIdle(new Date("2026-06-22T00:00:00+08:00"));
    shop.stop();
    await shop.engine.drain();

    // Assert
    const decisions = (await shop.store.listDecisions()).filter(
      (decision) => decision.journey === "campaign",
    );
    const executions = shop.engine.byJourney.get("campaign")?.executions ?? 0;
    expect(failures).toEqual([]);
    expect(decisions).toHaveLength(600);
    expect(new Set(decisions.map((decision) => decision.customerId)).size).toBe(600);
    expect(decisions.every((decision) => decision.outcome === "sent")).toBe(true);
    expect(executions).toBeGreaterThanOrEqual(2);
    // Two loops of 9 events, the hand-over's 6, the start and end: far from 25,000, as 1,500 loops are.
    expect(shop.engine.largestHistory.events).toBeLessThanOrEqual(2 * 9 + 6 + 2 + 4);
    expect((await shop.store.getCampaignProgress("relay"))?.phase).toBe("finished");
  });

  it("keeps a campaign paused for 30 days under 20,000 history events on the local engine, and ends it at until", async () => {
    // Arrange: paused before its time, left paused past its until (31 days).
    const { config, clock, shop, failures } = await campaignShop(
      { id: "paused", until: "2026-07-19T10:00:00+08:00" },
      { buyers: 20 },
    );
    await controlCampaign(shop.store, config, "paused", "pause", clock.now());

    // Act
    shop.scheduleCampaigns();
    await clock.runUntilIdle(new Date("2026-07-25T00:00:00+08:00"));
    shop.stop();
    await shop.engine.drain();

    // Assert: one execution, its history counted as Step Functions records it, its members ended.
    const decisions = (await shop.store.listDecisions()).filter(
      (decision) => decision.journey === "campaign",
    );
    expect(failures).toEqual([]);
    // About 1,490 half-hour looks: at most one hand-over (every 1,500 tasks).
    expect(shop.engine.byJourney.get("campaign")?.executions).toBeLessThanOrEqual(2);
    expect(shop.engine.largestHistory.events).toBeGreaterThan(10_000);
    expect(shop.engine.largestHistory.events).toBeLessThan(20_000);
    expect(decisions).toHaveLength(20);
    expect(decisions.every((decision) => decision.reason === "campaign-ended")).toBe(true);
  });
});
