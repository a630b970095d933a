import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import type { HeldData, PersonalData } from "../../functions/core/customers/forget.js";
import { redactShopPage } from "../../functions/core/customers/shop-redact.js";
import type { CustomerDirectory } from "../../functions/core/shared/ports.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";

/** Issue 35: a shop's erasure (Shopify's shop/redact), a page at a time. */

const AT = "2026-06-18T10:00:00+08:00";
const LATER = "2026-06-20T00:00:00Z";

describe("redactShopPage", () => {
  it("forgets the directory's customers a page at a time, then the numbers no profile carries", async () => {
    // Arrange: three customers and a number that only opted out.
    const store = new Store(new MemoryTable(), "redact-unit");
    for (const id of ["a", "b", "c"])
      await store.recordCustomerContact(
        { customerId: id, phone: `+86139000000${id.charCodeAt(0)}`, name: id },
        AT,
      );
    await store.recordPhoneOptOut("+8613900009999", AT, "event");

    // Act
    const pages = [];
    for (let page = 0; page < 10; page += 1) {
      pages.push(await redactShopPage({ store }, LATER, 2));
      if (!pages.at(-1)?.more) break;
    }

    // Assert: two pages of customers, one of the number left.
    expect(pages).toEqual([
      { forgotten: 2, more: true },
      { forgotten: 1, more: true },
      { forgotten: 1, more: false },
    ]);
    for (const id of ["a", "b", "c"]) expect(await store.getCustomer(id)).toBeUndefined();
    expect(JSON.stringify(await store.scanAll())).not.toContain("+8613900009999");
  });

  it("ends a run whose page erased nothing, so a number filed but not found (an index behind) never loops", async () => {
    // Arrange: the index still lists a number whose items are already gone.
    const nothingHeld = (customerId: string, phones: readonly string[]): HeldData => ({
      customerId,
      phones,
      orderIds: [],
      items: [],
    });
    const store = {
      pageCustomers: async () => ({ entries: [], done: true }),
      numbersFiled: async () => ["+8613900008888"],
      customersOfPhone: async () => [],
      collect: async (customerId: string, phones: readonly string[]) => nothingHeld(customerId, phones),
      erase: async () => ({ items: {}, tombstones: 1, anonymousId: "forgotten-x" }),
    } as unknown as CustomerDirectory & PersonalData;

    // Act
    const page = await redactShopPage({ store }, LATER, 1);

    // Assert
    expect(page).toEqual({ forgotten: 1, more: false });
  });
});
