import { readFile } from "node:fs/promises";
import { Store } from "../../adapters/dynamodb/store.js";
import type { ShopConfig } from "../../core/config/config.js";
import type { CampaignStatus } from "../../core/customers/campaigns.js";
import type { SegmentPreview } from "../../core/customers/segments.js";
import { dispatchEvent } from "../../core/engine/dispatch.js";
import { formatInZone } from "../../core/shared/time.js";
import { MemoryTable } from "../emulator/memory-table.js";
import { VirtualClock } from "../emulator/virtual-clock.js";
import { parseEventLines } from "../simulator/simulate.js";

/**
 * What `shopcare segment`, `campaign` and `backfill` share: where the customers are (an events file, or the
 * deployed table) and how a segment and a campaign read in a terminal.
 */

/** The profiles an event file builds (dispatch keeps them; no journey runs), as of its last event. */
export async function storeOfEvents(path: string, config: ShopConfig): Promise<{ store: Store; now: Date }> {
  const events = parseEventLines(await readFile(path, "utf8")).sort(
    (a, b) => Date.parse(a.at) - Date.parse(b.at),
  );
  const store = new Store(new MemoryTable(), "segment");
  const clock = new VirtualClock(new Date(events[0]?.at ?? Date.now()));
  const journeys = { start: async () => {}, stop: async () => {} };
  for (const event of events) {
    await clock.advanceTo(new Date(event.at));
    await dispatchEvent({ config, store, journeys, clock }, event);
  }
  return { store, now: clock.now() };
}

export async function awsStore(table: string): Promise<Store> {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  return new Store(new DynamoDBClient({}), table);
}

const money = (value: number) =>
  value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const counts = (record: Readonly<Record<string, number>>) =>
  Object.entries(record)
    .sort(([, a], [, b]) => b - a)
    .map(([key, count]) => `${key} ${count.toLocaleString("en-US")}`)
    .join(", ") || "-";

/** A segment preview as lines. */
export function segmentText(preview: SegmentPreview, config: ShopConfig): string {
  const lines = [
    `segment ${preview.segment}: ${preview.members.toLocaleString("en-US")} of ${preview.customers.toLocaleString("en-US")} customers (at ${formatInZone(new Date(preview.at), config.timeZone).slice(0, 16)})`,
    `  by stage: ${counts(preview.byStage)}`,
    `  by level: ${counts(preview.byLevel)}`,
  ];
  if (preview.bounds)
    lines.push(
      `  RFM cut points: r ${preview.bounds.r.join("/")} days, f ${preview.bounds.f.join("/")} orders, m ${preview.bounds.m.join("/")}`,
    );
  if (preview.sample.length > 0) lines.push(`  the ${preview.sample.length} most recent buyers:`);
  for (const member of preview.sample) {
    const rfm = member.rfm ? ` rfm ${member.rfm.r}${member.rfm.f}${member.rfm.m}` : "";
    const last = member.lastPaidAt
      ? formatInZone(new Date(member.lastPaidAt), config.timeZone).slice(0, 10)
      : "never paid";
    lines.push(
      `    ${member.customerId}  ${member.phone ?? "-"}  ${member.name ?? "-"}  ${member.stage}  ${member.level ?? "-"}  ${member.paidOrders} orders  ${money(member.spend)} ${config.sms.currency}  ${last}${member.province ? `  ${member.province}` : ""}${rfm}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `shopcare segment NAME`. */
export function campaignText(status: CampaignStatus, config: ShopConfig): string {
  const local = (at: string) => formatInZone(new Date(at), config.timeZone).slice(0, 16);
  const progress = status.progress;
  return `${[
    `campaign ${status.id}: ${status.control}${progress ? `, ${progress.phase}` : ", not started"} (segment ${status.segment}, ${local(status.at)} → ${local(status.until)})`,
    progress
      ? `  customers looked at ${progress.customers.toLocaleString("en-US")}, members ${progress.members.toLocaleString("en-US")}, last update ${local(progress.updatedAt)}`
      : "  no run yet",
    `  sent ${status.sent.toLocaleString("en-US")}, skipped ${counts(status.skipped)}, held ${status.held.toLocaleString("en-US")}`,
  ].join("\n")}\n`;
}

export const ACTIONS = ["status", "pause", "resume", "cancel"] as const;

/** `shopcare campaign (status|pause|resume|cancel) ID`. */
