import { CUSTOMER_SHARDS, type CustomerDirectory } from "../shared/ports.js";
import { type DataSubject, forgetCustomer, type PersonalData } from "./forget.js";

/**
 * How many people one delivery of a `shop.redact` forgets before it is queued again: each forget is a few
 * dozen requests, and dispatch has 60 s for its whole batch.
 */
export const SHOP_REDACT_PAGE = 25;

/** What one page of a shop's erasure did. */
export interface ShopRedactPage {
  /** Customers and numbers forgotten on this page. */
  readonly forgotten: number;
  /** Whether more may be left: the event is to be delivered again. */
  readonly more: boolean;
}

/**
 * Forgets the next page of a shop's people (Shopify's `shop/redact`, confirmed for this shop): the customers
 * still in the directory, then the numbers still filed under a person with no profile (replies from a number
 * no order carries). Each is forgotten as `forget` does — their executions stopped, counts kept under random
 * ids, tombstones left — so a later page, a redelivery or a replay brings no one back. A page that erased
 * nothing ends the run, so an item that cannot be erased never queues the event forever.
 */
export async function redactShopPage(
  deps: {
    readonly store: CustomerDirectory & PersonalData;
    readonly stopExecution?: (journey: string, name: string) => Promise<void>;
  },
  at: string,
  limit = SHOP_REDACT_PAGE,
): Promise<ShopRedactPage> {
  const { store } = deps;
  const forget = async (subjects: readonly DataSubject[]) => {
    let erased = 0;
    for (const subject of subjects)
      for (const one of await forgetCustomer(
        { personal: store, stopExecution: deps.stopExecution },
        subject,
        at,
      ))
        erased += Object.values(one.counts.items).reduce((sum, count) => sum + count, 0);
    return erased;
  };
  // Forgotten customers leave the directory: each page reads it from its top again.
  const customers: DataSubject[] = [];
  for (let shard = 0; shard < CUSTOMER_SHARDS && customers.length < limit; shard += 1) {
    const page = await store.pageCustomers(shard, undefined, limit - customers.length);
    for (const { customer } of page.entries) customers.push({ customerId: customer.customerId });
  }
  // While customers are left, a page is theirs (their numbers go with them); the numbers left after.
  if (customers.length > 0) return { forgotten: customers.length, more: (await forget(customers)) > 0 };
  const numbers = (await store.numbersFiled(limit)).map((phone) => ({ phone }));
  const erased = await forget(numbers);
  return { forgotten: numbers.length, more: numbers.length === limit && erased > 0 };
}
