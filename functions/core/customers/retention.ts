import type { ShopConfig } from "../config/config.js";
import { parseDuration } from "../shared/duration.js";
import { CUSTOMER_SHARDS, type Repositories } from "../shared/ports.js";
import { forgetCustomer, type PersonalData } from "./forget.js";

/** What one retention run did. */
export interface RetentionRun {
  /** Customers forgotten: no order (a prospect: no contact) for `retention.customers`. */
  readonly customers: number;
  /** Decisions whose message text was dropped, older than `retention.messageTexts`. */
  readonly texts: number;
}

/**
 * Applies `retention` (docs/data-rights.md): forgets each customer whose last paid order and last contact
 * (an order, paid or not; a profile update) are older than `retention.customers`, and drops the message texts of decisions
 * older than `retention.messageTexts`. The customer directory is read below the cutoff only (it is ordered
 * by last paid order); the decisions from where the last run stopped.
 */
export async function applyRetention(deps: {
  readonly store: Pick<Repositories, "pageCustomers"> & PersonalData;
  readonly config: Pick<ShopConfig, "retention">;
  readonly now: Date;
  readonly stopExecution?: (journey: string, name: string) => Promise<void>;
}): Promise<RetentionRun> {
  const { store, config, now } = deps;
  const cutoff = new Date(now.getTime() - parseDuration(config.retention.customers));
  let customers = 0;
  for (let shard = 0; shard < CUSTOMER_SHARDS; shard += 1) {
    let after = cutoff.toISOString();
    for (;;) {
      const page = await store.pageCustomers(shard, after, 100);
      for (const { customer } of page.entries) {
        // Below the cutoff by their last payment; an order since (unpaid) or another contact keeps them.
        const { contactAt } = customer as { contactAt?: string };
        if (contactAt !== undefined && Date.parse(contactAt) >= cutoff.getTime()) continue;
        const [forgotten] = await forgetCustomer(
          { personal: store, stopExecution: deps.stopExecution },
          { customerId: customer.customerId },
          now.toISOString(),
        );
        if (forgotten) customers += 1;
      }
      if (page.done || page.entries.length === 0) break;
      after = page.entries.at(-1)?.key ?? after;
    }
  }
  const texts = await store.expireMessageTexts(
    new Date(now.getTime() - parseDuration(config.retention.messageTexts)),
  );
  return { customers, texts };
}
