import { describe, expect, it } from "vitest";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { forgetCustomer } from "../../functions/core/customers/forget.js";
import { MemoryTable } from "../../functions/local/emulator/memory-table.js";

/** Issue 35: forget erases one customer's data and nobody else's. */

describe("forget", () => {
  it("leaves another customer's profile on a number they share (a family's) as it was", async () => {
    // Arrange: two customers with one number.
    const store = new Store(new MemoryTable(), "forget-unit");
    const at = "2026-06-18T10:00:00+08:00";
    await store.recordCustomerContact({ customerId: "mother", phone: "+8613900003333", name: "李华" }, at);
    await store.recordCustomerContact({ customerId: "son", phone: "+8613900003333", name: "李明" }, at);

    // Act
    const [forgotten] = await forgetCustomer(
      { personal: store },
      { customerId: "son" },
      "2026-06-20T10:00:00Z",
    );

    // Assert
    expect(forgotten?.counts.items).toEqual({ profile: 1 });
    expect(await store.getCustomer("mother")).toMatchObject({ name: "李华", phone: "+8613900003333" });
    expect(await store.getCustomer("son")).toBeUndefined();
    expect(await store.personal.forgottenAt("customer", "son")).toBe("2026-06-20T10:00:00Z");
  });

  it("finds every customer of a number with --phone, each forgotten on their own", async () => {
    // Arrange
    const store = new Store(new MemoryTable(), "forget-unit");
    const at = "2026-06-18T10:00:00+08:00";
    await store.recordCustomerContact({ customerId: "a", phone: "+8613900004444", name: "甲" }, at);
    await store.recordCustomerContact({ customerId: "b", phone: "+8613900004444", name: "乙" }, at);

    // Act
    const forgotten = await forgetCustomer({ personal: store }, { phone: "+8613900004444" }, at);

    // Assert
    expect(forgotten.map((one) => one.customerId).sort()).toEqual(["a", "b"]);
    expect(JSON.stringify(await store.scanAll())).not.toMatch(/甲|乙|13900004444/);
  });
});
