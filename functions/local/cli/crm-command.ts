import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Store } from "../../adapters/dynamodb/store.js";
import type { ShopConfig } from "../../core/config/config.js";
import {
  type CampaignAction,
  type CampaignStatus,
  campaignStatus,
  controlCampaign,
} from "../../core/customers/campaigns.js";
import { backfillProfiles, previewSegment, type SegmentPreview } from "../../core/customers/segments.js";
import { dispatchEvent } from "../../core/engine/dispatch.js";
import { terminalSafeLines } from "../../core/shared/terminal.js";
import { formatInZone } from "../../core/shared/time.js";
import { LOCAL_CAMPAIGN_PATH, LOCAL_SEGMENT_PATH } from "../console/console.js";
import { MemoryTable } from "../emulator/memory-table.js";
import { VirtualClock } from "../emulator/virtual-clock.js";
import { parseEventLines } from "../simulator/simulate.js";
import { postToLocalShop } from "./admin-client.js";
import { UsageError } from "./cli-help.js";

/**
 * `shopcare segment` and `shopcare campaign`: the CRM half's command line, over an events file, a running
 * `shopcare start` (its admin routes, `LOCAL_SEGMENT_PATH`, `LOCAL_CAMPAIGN_PATH` in `console.ts`) or the deployed table.
 */

type LoadConfig = (path: string | undefined) => Promise<ShopConfig>;

/** The profiles an event file builds (dispatch keeps them; no journey runs), as of its last event. */
async function storeOfEvents(path: string, config: ShopConfig): Promise<{ store: Store; now: Date }> {
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

async function awsStore(table: string): Promise<Store> {
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
export async function segmentCommand(args: string[], loadConfig: LoadConfig): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      events: { type: "string" },
      url: { type: "string" },
      table: { type: "string" },
      config: { type: "string" },
      sample: { type: "string" },
      json: { type: "boolean" },
      "show-phone": { type: "boolean" },
    },
  });
  const [name] = positionals;
  if (!name || positionals.length > 1)
    throw new UsageError("segment: one segment NAME from the config's segments");
  const sample = values.sample === undefined ? 10 : Number(values.sample);
  if (!Number.isInteger(sample) || sample < 0)
    throw new UsageError(`segment: --sample is a whole number, got ${values.sample}`);
  const sources = [values.events, values.url, values.table].filter((source) => source !== undefined);
  if (sources.length !== 1)
    throw new UsageError(
      "segment: one of --events FILE, --url URL or --table NAME says where the customers are",
    );
  const config = await loadConfig(values.config);
  const options = { sample, showPhone: values["show-phone"] === true };
  let preview: SegmentPreview;
  if (values.url) {
    if (options.showPhone)
      process.stderr.write(
        "segment: --show-phone is the server's to set with --url (start it with --show-phone)\n",
      );
    preview = await postToLocalShop(values.url, LOCAL_SEGMENT_PATH, { name, sample }, "segment");
  } else {
    const { store, now } = values.events
      ? await storeOfEvents(values.events, config)
      : { store: await awsStore(values.table as string), now: new Date() };
    preview = await previewSegment(store, config, name, now, options);
  }
  process.stdout.write(
    values.json ? `${JSON.stringify(preview)}\n` : terminalSafeLines(segmentText(preview, config)),
  );
}

/** A campaign's status as lines. */
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

const ACTIONS = ["status", "pause", "resume", "cancel"] as const;

/** `shopcare campaign (status|pause|resume|cancel) ID`. */
export async function campaignCommand(args: string[], loadConfig: LoadConfig): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      table: { type: "string" },
      config: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [action, id] = positionals;
  if (!action || !(ACTIONS as readonly string[]).includes(action) || !id || positionals.length > 2)
    throw new UsageError(
      `campaign: (status|pause|resume|cancel) ID, got ${positionals.join(" ") || "nothing"}`,
    );
  if ((values.url === undefined) === (values.table === undefined))
    throw new UsageError("campaign: --url URL (local) or --table NAME (AWS) says where");
  const config = await loadConfig(values.config);
  let result: CampaignStatus | { id: string; status: string; changed: boolean };
  if (values.url) result = await postToLocalShop(values.url, LOCAL_CAMPAIGN_PATH, { id, action }, "campaign");
  else {
    const store = await awsStore(values.table as string);
    result =
      action === "status"
        ? await campaignStatus(store, config, id)
        : await controlCampaign(store, config, id, action as CampaignAction, new Date());
  }
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (action === "status")
    process.stdout.write(terminalSafeLines(campaignText(result as CampaignStatus, config)));
  else {
    const { status, changed } = result as { status: string; changed: boolean };
    process.stdout.write(`campaign ${id}: ${status}${changed ? "" : " (unchanged)"}\n`);
  }
}

/** `shopcare backfill --table NAME`: the customer profiles of a table deployed before they were kept. */
export async function backfillCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { table: { type: "string" } } });
  if (!values.table) throw new UsageError("backfill: --table NAME (the stack output TableName) is required");
  const result = await backfillProfiles(await awsStore(values.table));
  process.stdout.write(
    `kept ${result.kept} paid orders of ${result.customers} customers on their profiles (${result.orders - result.kept} of ${result.orders} orders not paid or not known yet)\n`,
  );
}
