import type { ShopConfig } from "../../core/config/config.js";
import {
  type ExplainSubject,
  explainFromStore,
  type ReceivedEvent,
  type TimelineEntry,
  timelineLine,
} from "../../core/insight/explain.js";
import { explainOnStore } from "../../core/insight/explain-archive.js";
import { terminalSafe } from "../../core/shared/terminal.js";
import { LOCAL_EXPLAIN_PATH } from "../console/console.js";
import { localPhonePlaces } from "../emulator/phone-data.js";
import { postToLocalShop } from "./admin-client.js";

/** Where `explain` reads: an events file (simulated here), a running local shop, or a deployed table. */
export interface ExplainSource {
  readonly events?: string;
  readonly url?: string;
  readonly table?: string;
  /** How far back the archive is read for events received (`--table`). @default 30 days */
  readonly sinceDays?: number;
}

/** A subject's timeline from whichever source is given. */
export async function explainTimeline(
  config: ShopConfig,
  subject: ExplainSubject,
  source: ExplainSource,
  options: { readonly showPhone: boolean },
): Promise<TimelineEntry[]> {
  if (source.events) {
    const { readFile } = await import("node:fs/promises");
    const { parseEventLines, simulate } = await import("../simulator/simulate.js");
    const events = parseEventLines(await readFile(source.events, "utf8"));
    const received: ReceivedEvent[] = events.map((event, index) => ({
      event,
      source: "events file",
      webhookId: `event ${index + 1}`,
    }));
    let timeline: TimelineEntry[] = [];
    await simulate({
      config,
      events,
      dynamo: "memory",
      inspect: async (shop, now) => {
        timeline = await explainFromStore(
          { store: shop.store, config, now, phones: localPhonePlaces },
          subject,
          received,
          options,
        );
      },
    });
    return timeline;
  }
  if (source.url) {
    // The server decides whether numbers show (its own --show-phone): a request cannot turn it on.
    if (options.showPhone)
      process.stderr.write(
        "explain: --show-phone is the server's to set with --url (start it with --show-phone)\n",
      );
    return postToLocalShop<TimelineEntry[]>(source.url, LOCAL_EXPLAIN_PATH, { subject }, "explain");
  }
  if (source.table) {
    // The operator's credentials (and AWS_ENDPOINT_URL_DYNAMODB, if set); nothing is written.
    const [{ DynamoDBClient }, { Store }] = await Promise.all([
      import("@aws-sdk/client-dynamodb"),
      import("../../adapters/dynamodb/store.js"),
    ]);
    const store = new Store(new DynamoDBClient({}), source.table);
    return explainOnStore(store, config, new Date(), subject, options, source.sinceDays, localPhonePlaces);
  }
  throw new Error("explain: --events, --url or --table says where the shop is");
}

/** The timeline as text lines, or JSON lines. */
export function formatTimeline(entries: readonly TimelineEntry[], config: ShopConfig, json: boolean): string {
  if (entries.length === 0) return "";
  const lines = entries.map((entry) =>
    json ? JSON.stringify(entry) : terminalSafe(timelineLine(entry, config.timeZone)),
  );
  return `${lines.join("\n")}\n`;
}
