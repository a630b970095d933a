import { Store } from "../../functions/adapters/dynamodb/store.js";
import type { ShopConfig } from "../../functions/core/config/config.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import type { SegmentFilter } from "../../functions/core/config/customer-settings.js";
import { CAMPAIGN_RELAY_LOOPS } from "../../functions/core/customers/campaigns.js";
import { type CustomerConfig, inSegment, profileOf } from "../../functions/core/customers/profiles.js";
import { everyCustomer, previewSegment } from "../../functions/core/customers/segments.js";
import type { CustomerRecord } from "../../functions/core/shared/model.js";
import { CUSTOMER_SHARDS } from "../../functions/core/shared/ports.js";
import { HOUR_MS, localDateOf, slotsInWindow, startOfLocalDate } from "../../functions/core/shared/time.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";
import { createLocalShop } from "../../functions/local/emulator/runtime.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { JOURNEYS_OFF } from "../../tests/support/config.js";
import { num, record, round } from "../harness.js";

/** A customer profile as the directory keeps it, written in one request (the bench's own fast path). */
export async function putCustomer(
  store: Store,
  index: number,
  paidAt: string,
  amount: number,
): Promise<void> {
  const customerId = `cc${index}`;
  await store.recordCustomerContact(
    {
      customerId,
      phone: `+86139${String(index).padStart(8, "0")}`,
      name: "王芳",
      province: index % 3 ? "浙江" : "上海",
    },
    paidAt,
  );
  await store.recordPurchase(customerId, {
    orderId: `co${index}`,
    paidAt,
    amount,
    refunded: 0,
    items: 1 + (index % 3),
    categories: [index % 2 ? "tea" : "teaware"],
  });
}

/** The bench's shop: one campaign to every buyer, every journey off, the provider at `rate` a second. */
function campaignConfig(rate: number, at: string): ShopConfig {
  return parseShopConfig({
    sms: { ratePerSecond: rate },
    segments: { buyers: { minPaidOrders: 1 } },
    // Until 10 days after: a large campaign at a low rate (1,000,000 at 5/s sends 4.6 days of windows).
    campaigns: [
      {
        id: "bench",
        segment: "buyers",
        at,
        until: "2026-06-28T10:00:00+08:00",
        template: "【{shop}】{name}，618好礼相送。回T退订",
      },
    ],
    journeys: JOURNEYS_OFF,
  });
}

/**
 * A campaign to `--campaign-customers` (100,000) customers at the provider's 20/s, through the synthesized
 * campaign machine on the local engine and a virtual clock: how close to the limit it sends, duplicates,
 * state transitions per message, and the AWS cost per message next to its SMS cost.
 */
export async function campaignRun(_dynamo?: unknown) {
  const customers = num("campaign-customers");
  const rate = num("provider-rate");
  const at = "2026-06-18T10:00:00+08:00";
  const config = campaignConfig(rate, at);
  const clock = new VirtualClock(new Date("2026-06-18T09:00:00+08:00"));
  const table = new MemoryTable();
  const shop = await createLocalShop({ config, clock, activity: clock, dynamo: table, retryIntervalMs: 0 });
  const loadStarted = performance.now();
  for (let index = 0; index < customers; index += 1) {
    const day = 1 + (index % 28);
    await putCustomer(
      shop.store,
      index,
      `2026-05-${String(day).padStart(2, "0")}T10:00:00+08:00`,
      50 + (index % 500),
    );
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const before = { ...table.requests };
  const started = performance.now();
  shop.scheduleCampaigns();
  await clock.runUntilIdle(new Date("2026-06-29T00:00:00+08:00"));
  shop.stop();
  await shop.engine.drain();
  const seconds = (performance.now() - started) / 1000;
  const decisions = (await shop.store.listDecisions()).filter((d) => d.journey === "campaign");
  const sent = decisions.filter((d) => d.outcome === "sent");
  const outbox = (await shop.store.listOutbox()).filter((entry) => entry.kind === "sms");
  const duplicates = outbox.length - new Set(outbox.map((entry) => entry.to)).size;
  const times = sent.map((d) => Date.parse(d.at)).sort((a, b) => a - b);
  const spanSeconds = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000 + 1 / rate;
  // A campaign longer than a day sends only while it may: from the day's first marketing slot to the
  // window's end. The rate is judged over those seconds (nights are not the provider's idle time).
  const openSeconds = sendingSeconds(config, times[0] ?? 0, (times.at(-1) ?? 0) + 1000 / rate);
  const achieved = sent.length / openSeconds;
  const counts = shop.engine.byJourney.get("campaign") ?? { executions: 0, transitions: 0 };
  const prices = config.effect.awsPrices;
  // A campaign task runs for as long as it sends (its rate waits are in the Lambda): billed for all of it.
  const lambdaGbSeconds = spanSeconds * 0.5;
  const reads = table.requests.reads - before.reads;
  const writes = table.requests.writes - before.writes;
  const awsUsd =
    counts.transitions * prices.stateTransition +
    shop.engine.taskInvocations * prices.lambdaRequest +
    lambdaGbSeconds * prices.lambdaGbSecond +
    reads * prices.dynamoReadRequest +
    writes * prices.dynamoWriteRequest;
  const smsCost = sent.reduce((sum, d) => sum + (d.segments ?? 1), 0) * config.sms.pricePerSegment;
  const share = (100 * awsUsd * prices.usdRate) / smsCost;
  const ratio = round(achieved / rate, 3);
  const perMessage = round(counts.transitions / sent.length, 4);
  record({
    figure: "campaign: sends per second / provider limit",
    value: ratio,
    unit: "",
    target: "≥ 0.95, 0 duplicates",
    met: ratio >= 0.95 && duplicates === 0 && sent.length === customers,
    detail: `${customers} customers, ${sent.length} sent (${decisions.length - sent.length} skipped) in ${round(spanSeconds, 0)} virtual s (${round(openSeconds, 0)} s of them inside the marketing window, from its first slot) at ${round(achieved, 2)}/s of ${rate}/s; ${duplicates} duplicates; ${round(seconds, 1)} s to run (${round(loadSeconds, 1)} s to load the customers)`,
  });
  // Step Functions fails an execution at 25,000 history events ("Quotas"): a long campaign hands over.
  const history = shop.engine.largestHistory;
  record({
    figure: "campaign: largest execution history (events)",
    value: history.events,
    unit: "",
    target: "< 20,000",
    met: history.events < 20_000,
    detail: `${history.name}, counted as Step Functions records it; ${counts.executions} execution(s) for the campaign (a hand-over every ${CAMPAIGN_RELAY_LOOPS} tasks)`,
  });
  record({
    figure: "campaign: state transitions per message",
    value: perMessage,
    unit: "",
    target: "≤ 1.5",
    met: perMessage <= 1.5,
    detail: `${counts.transitions} transitions, ${shop.engine.taskInvocations} task invocations for ${sent.length} messages`,
  });
  record({
    figure: "campaign: AWS cost per message / its SMS cost",
    value: round(share, 3),
    unit: "%",
    target: "≤ 1%",
    met: share <= 1,
    detail: `${round(awsUsd, 4)} USD at list prices (${counts.transitions} transitions, ${shop.engine.taskInvocations} invocations, ${round(lambdaGbSeconds, 0)} GB-s, ${reads} DynamoDB reads, ${writes} writes) against ${round(smsCost, 2)} ${config.sms.currency} of SMS`,
  });
}

/**
 * The seconds in [`from`, `to`) (epoch ms) when a campaign may send: each local day from the first
 * marketing slot inside the window to the window's end, in the shop's zone.
 */
function sendingSeconds(config: ShopConfig, from: number, to: number): number {
  const [firstSlot] = slotsInWindow(config.marketingSlots, config.windows.marketing);
  let seconds = 0;
  for (
    let day = startOfLocalDate(localDateOf(new Date(from), config.timeZone), config.timeZone).getTime();
    day < to;
  ) {
    const date = localDateOf(new Date(day), config.timeZone);
    const opens = atLocalTime(date, firstSlot ?? config.windows.marketing.start, config.timeZone);
    const closes = atLocalTime(date, config.windows.marketing.end, config.timeZone);
    seconds += Math.max(0, Math.min(closes, to) - Math.max(opens, from)) / 1000;
    day = startOfLocalDate(
      localDateOf(new Date(day + 36 * HOUR_MS), config.timeZone),
      config.timeZone,
    ).getTime();
  }
  return seconds;
}

/** `HH:MM` (or 24:00) on a local date, as epoch ms. */
function atLocalTime(date: string, time: string, timeZone: string): number {
  const [hours = 0, minutes = 0] = time.split(":").map(Number);
  const start = startOfLocalDate(date, timeZone).getTime();
  // Windows lie away from DST changes in the zones shops use; an hour's error there would show as such.
  return start + hours * HOUR_MS + minutes * 60_000;
}

/** A segment evaluated over `--segment-customers` (1,000,000) customer items in the in-memory table. */
export async function segmentRun(_dynamo?: unknown) {
  const customers = num("segment-customers");
  const config = parseShopConfig({
    members: { levels: [{ name: "银卡", minSpend: 300 }] },
    segments: {
      target: { stage: ["new", "returning"], provinces: ["浙江"], categories: ["tea"], minSpend: 100 },
    },
  });
  const store = new Store(new MemoryTable(), "segment-bench");
  const loadStarted = performance.now();
  for (let index = 0; index < customers; index += 1) {
    const day = 1 + (index % 28);
    await putCustomer(
      store,
      index,
      `2026-05-${String(day).padStart(2, "0")}T10:00:00+08:00`,
      50 + (index % 500),
    );
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const now = new Date("2026-06-18T10:00:00+08:00");
  // The directory's pages from the in-memory table (its Query sorts the partition on every page: the
  // table's cost, not the segment's), then the judging alone over what they held.
  const pageStarted = performance.now();
  const records: CustomerRecord[] = [];
  for await (const { customer } of everyCustomer(store, CUSTOMER_SHARDS)) records.push(customer);
  const pageSeconds = (performance.now() - pageStarted) / 1000;
  const filter = config.segments.target as SegmentFilter;
  const customerConfig = config as unknown as CustomerConfig;
  const judgeStarted = performance.now();
  let members = 0;
  for (const customer of records)
    if (inSegment(profileOf(customer, customerConfig, now), filter, now)) members += 1;
  const judgeSeconds = (performance.now() - judgeStarted) / 1000;
  const started = performance.now();
  const preview = await previewSegment(store, config, "target", now);
  const seconds = (performance.now() - started) / 1000;
  const perMillion = round((judgeSeconds * 1_000_000) / customers, 2);
  record({
    figure: "segment: seconds per million customers judged",
    value: perMillion,
    unit: "s",
    detail: `${members} of ${records.length} customers in the segment, judged (profile, stage, level, filter) in ${round(judgeSeconds, 2)} s; paging them out of the in-memory table ${round(pageSeconds, 1)} s; the whole preview (pages, judging, sample) ${round(seconds, 1)} s, ${preview.members} members; ${round(loadSeconds, 1)} s to load them`,
  });
}
