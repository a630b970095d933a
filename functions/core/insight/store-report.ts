import type { ShopConfig } from "../config/config.js";
import { type CustomerConfig, levelOf } from "../customers/profiles.js";
import type { Repositories } from "../shared/ports.js";
import { buildReport, type EffectReport } from "./report.js";

/** Customer reads in flight at once for the per-level groups. */
const LEVEL_READS_AT_ONCE = 16;

/**
 * The effect report of what a store holds (a running shop's, the deployed table): its decisions, orders
 * and replies, the links clicked, and the member level now of each customer messaged, for the per-level
 * groups.
 */
export async function reportOfStore(
  store: Pick<
    Repositories,
    "listDecisions" | "listOrders" | "listReplies" | "getCustomer" | "listClickedLinks"
  >,
  config: ShopConfig,
  now: Date,
  /** Only decisions and replies at these instants. @default all */
  within: (at: string) => boolean = () => true,
): Promise<EffectReport> {
  const [decisions, orders, replies, clickedLinks] = await Promise.all([
    store.listDecisions().then((all) => all.filter((decision) => within(decision.at))),
    store.listOrders(),
    store.listReplies().then((all) => all.filter((reply) => within(reply.at))),
    // A link's clicks count with its message, whenever they came.
    store.listClickedLinks(),
  ]);
  const levels = new Map<string, string>();
  // Without member levels there is no level to read.
  if (config.members.levels.length > 0) {
    const messaged = new Set(
      decisions.filter((d) => d.outcome === "sent" && d.customerId).map((d) => d.customerId as string),
    );
    // A few reads at a time: one after another, a month's customers took a GetItem's latency each.
    const ids = [...messaged];
    for (let start = 0; start < ids.length; start += LEVEL_READS_AT_ONCE) {
      await Promise.all(
        ids.slice(start, start + LEVEL_READS_AT_ONCE).map(async (customerId) => {
          const level = levelOf(
            await store.getCustomer(customerId),
            config as unknown as CustomerConfig,
            now,
          );
          if (level) levels.set(customerId, level);
        }),
      );
    }
  }
  return buildReport(config, decisions, orders, {
    replies,
    levelOf: (customerId) => levels.get(customerId),
    clickedLinks,
  });
}
