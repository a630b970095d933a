import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { addPurchases, KEEP_PURCHASES } from "../../core/customers/purchases.js";
import type { CustomerRecord, Purchase } from "../../core/shared/model.js";
import type { CustomerDirectory, CustomerFacts, DirectoryEntry } from "../../core/shared/ports.js";
import type { MarketingRecordFacts } from "./marketing-records.js";
import { type FieldUpdate, indexShard, stripKeys, TABLE_KEYS, type Table, whoseFields } from "./table.js";

/** What a contact event sets on the profile when it carries it (the latest event's value stands). */
const CONTACT_FIELDS = ["phone", "name", "phoneExpiresAt", "province", "city", "region", "timeZone"] as const;

/**
 * A customer's purchases live on their profile item as one attribute per paid order, `purchase:<orderId>`
 * (and `refunded:<orderId>`): top-level attributes, so writing one needs no map to exist first, and a
 * segment reads a whole profile in one item.
 */
const PURCHASE = "purchase:";
const REFUNDED = "refunded:";

/**
 * The directory's index key of a customer (gsi1): their partition, and their latest payment before their
 * id, so a partition lists the most recent buyers first. One who never paid sorts as `0`, after every time.
 */
const directoryPartition = (customerId: string) => `CUSTOMERS#${indexShard(`CUSTOMER#${customerId}`)}`;
const directoryKey = (customerId: string, lastPaidAt?: string) =>
  `${lastPaidAt ? new Date(lastPaidAt).toISOString() : "0"}#${customerId}`;

/** A profile item as the customer record it stands for: purchases gathered, storage keys dropped. */
function customerOf(item: Record<string, unknown> | undefined): CustomerRecord | undefined {
  if (!item) return undefined;
  const purchases: Purchase[] = [];
  const rest: Record<string, unknown> = {};
  for (const [attribute, value] of Object.entries(stripKeys<Record<string, unknown>>(item) ?? {})) {
    if (attribute.startsWith(PURCHASE)) {
      const orderId = attribute.slice(PURCHASE.length);
      const refunded = Number(item[`${REFUNDED}${orderId}`] ?? 0);
      purchases.push({ orderId, ...(value as Omit<Purchase, "orderId" | "refunded">), refunded });
    } else if (!attribute.startsWith(REFUNDED) && attribute !== "consentAtMs") rest[attribute] = value;
  }
  purchases.sort((a, b) => Date.parse(a.paidAt) - Date.parse(b.paidAt));
  return { ...(rest as unknown as CustomerRecord), ...(purchases.length > 0 ? { purchases } : {}) };
}

/** A purchase's place in time order: `<paidAt in UTC>#<orderId>` (what `rolledUpTo` compares). */
const purchaseOrderKey = (purchase: Pick<Purchase, "paidAt" | "orderId">) =>
  `${new Date(purchase.paidAt).toISOString()}#${purchase.orderId}`;

/** Spend net of refunds. */
const netSpend = (purchases: readonly Purchase[]) =>
  purchases.reduce((sum, purchase) => sum + purchase.amount - purchase.refunded, 0);

/** Order and customer facts (and opt-outs, tracking numbers) over the table. */

/** Customers' facts: contact, birthday, flags, kept purchases (rolled up past the newest), opt-outs by number, and the directory segments and campaigns page through. */
export class CustomerFactsTable implements Omit<CustomerFacts, MarketingRecordFacts>, CustomerDirectory {
  constructor(private readonly table: Table) {}

  /** Updates a customer's contact details unless a later event already did (event time, not arrival time). */
  async recordCustomerContact(
    contact: Omit<CustomerRecord, "declinedAt" | "optedOutAt">,
    at: string,
  ): Promise<void> {
    const fields: Record<string, FieldUpdate> = {
      customerId: { value: contact.customerId },
      // In the customer directory from their first event on (a prospect until they pay).
      gsi1pk: { value: directoryPartition(contact.customerId), keepExisting: true },
      gsi1sk: { value: directoryKey(contact.customerId), keepExisting: true },
      contactAt: { value: at },
      // Compared as epoch milliseconds: ISO strings with different offsets do not sort by time.
      contactAtMs: { value: Date.parse(at) },
    };
    if (contact.firstOrderedAt) fields.firstOrderedAt = { value: contact.firstOrderedAt, keepExisting: true };
    for (const field of CONTACT_FIELDS)
      if (contact[field] !== undefined) fields[field] = { value: contact[field] };
    // Filed under its number too: `forget --phone` finds the customer by it.
    const filed =
      contact.phone && whoseFields({ kind: "PHONE", id: contact.phone }, `PROFILE#${contact.customerId}`);
    if (filed) Object.assign(fields, filed);
    try {
      await this.table.update({ pk: `CUSTOMER#${contact.customerId}`, sk: "PROFILE" }, fields, {
        condition: "attribute_not_exists(#contactAtMs) OR #contactAtMs <= :contactAtMs",
      });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  /**
   * Sets a customer's birthday unless a later event already set one (event time, not arrival time).
   * @returns the birthday it replaced, and whether this event changed it
   */
  async recordCustomerBirthday(
    customerId: string,
    birthday: string,
    at: string,
  ): Promise<{ readonly previous?: string; readonly changed: boolean }> {
    try {
      const old = await this.table.update(
        { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
        {
          customerId: { value: customerId },
          birthday: { value: birthday },
          birthdayAtMs: { value: Date.parse(at) },
        },
        {
          condition: "attribute_not_exists(#birthdayAtMs) OR #birthdayAtMs <= :birthdayAtMs",
          returnOld: true,
        },
      );
      const previous = old?.birthday as string | undefined;
      return { previous, changed: previous !== birthday };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { changed: false };
    }
  }
  /** Notes that the celebrations of `birthday` were started. */
  async markBirthdayArmed(customerId: string, birthday: string): Promise<void> {
    await this.table.update(
      { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
      { customerId: { value: customerId }, birthdayArmed: { value: birthday } },
    );
  }
  /** Marks a customer as declined, opted out or an automatic reviewer at `at`, keeping the earliest time. */
  async recordCustomerFlag(
    customerId: string,
    flag: "declinedAt" | "optedOutAt" | "autoReviewedAt",
    at: string,
  ): Promise<void> {
    await this.table.update(
      { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
      { customerId: { value: customerId }, [flag]: { value: at, keepExisting: true } },
    );
  }
  async getCustomer(customerId: string): Promise<CustomerRecord | undefined> {
    return customerOf(await this.table.getItem({ pk: `CUSTOMER#${customerId}`, sk: "PROFILE" }));
  }
  /**
   * Keeps a paid order on the profile. The order's summary is written whole (its facts do not change);
   * what only grows (its refunds, the customer's latest payment in the directory key, their peak spend)
   * is each written under a condition that it grows, so concurrent and repeated writes keep the largest.
   */
  async recordPurchase(
    customerId: string,
    purchase: Purchase,
    options: { readonly keepWhole?: number; readonly firstPaidKey?: string } = {},
  ): Promise<void> {
    const key = { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" };
    const { orderId, refunded, ...summary } = purchase;
    let stored: Record<string, unknown>;
    try {
      ({ Attributes: stored = {} } = await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression:
            "SET #purchase = :purchase, #customerId = :customerId, #pk = if_not_exists(#pk, :pk), #sk = if_not_exists(#sk, :sk)",
          // A purchase already rolled into the totals (a replay, a late copy) is counted there: not again.
          ConditionExpression:
            "attribute_not_exists(#rolledUpTo) OR attribute_exists(#purchase) OR #rolledUpTo < :order",
          ExpressionAttributeNames: {
            "#purchase": `${PURCHASE}${orderId}`,
            "#customerId": "customerId",
            "#pk": TABLE_KEYS.gsi1PartitionKey,
            "#sk": TABLE_KEYS.gsi1SortKey,
            "#rolledUpTo": "rolledUpTo",
          },
          ExpressionAttributeValues: {
            ":purchase": summary,
            ":customerId": customerId,
            ":pk": directoryPartition(customerId),
            ":sk": directoryKey(customerId),
            ":order": purchaseOrderKey(purchase),
          },
          ReturnValues: "ALL_NEW",
        }),
      ));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
    /** Sets an attribute under the condition that it grows (or shrinks): the largest (smallest) stands. */
    const moveTo = async (attribute: string, value: string | number, way: "grows" | "shrinks") => {
      try {
        await this.table.doc.send(
          this.table.commands.Update({
            TableName: this.table.tableName,
            Key: key,
            UpdateExpression: "SET #moved = :value",
            ConditionExpression: `attribute_not_exists(#moved) OR #moved ${way === "grows" ? "<" : ">"} :value`,
            ExpressionAttributeNames: { "#moved": attribute },
            ExpressionAttributeValues: { ":value": value },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    };
    const growTo = (attribute: string, value: string | number) => moveTo(attribute, value, "grows");
    const refundedAttribute = `${REFUNDED}${orderId}`;
    if (refunded > Number(stored[refundedAttribute] ?? 0)) await growTo(refundedAttribute, refunded);
    // The earliest paid order only moves earlier: written (under that condition) only when this one is.
    const { firstPaidKey } = options;
    if (
      firstPaidKey !== undefined &&
      (stored.firstPaid === undefined || firstPaidKey < String(stored.firstPaid))
    )
      await moveTo("firstPaid", firstPaidKey, "shrinks");
    const recency = directoryKey(customerId, purchase.paidAt);
    if (String(stored[TABLE_KEYS.gsi1SortKey] ?? "") < recency) await growTo(TABLE_KEYS.gsi1SortKey, recency);
    const profile = customerOf({
      ...stored,
      [refundedAttribute]: Math.max(refunded, Number(stored[refundedAttribute] ?? 0)),
    });
    const spend = netSpend(profile?.purchases ?? []) + (profile?.rolledUp?.spend ?? 0);
    if (spend > Number(stored.peakSpend ?? 0)) await growTo("peakSpend", spend);
    if (profile) await this.rollUp(key, profile, options.keepWhole ?? KEEP_PURCHASES);
  }
  /**
   * Rolls a profile's oldest purchases past `keepWhole` into its totals (`rolledUp`, up to `rolledUpTo`), in
   * one conditional write: only while those purchases are still there and nobody rolled since, so concurrent
   * writers roll each purchase once (the loser leaves it to the next purchase's write).
   */
  private async rollUp(
    key: Record<string, string>,
    profile: CustomerRecord,
    keepWhole: number,
  ): Promise<void> {
    const whole = [...(profile.purchases ?? [])].sort((a, b) =>
      purchaseOrderKey(a) < purchaseOrderKey(b) ? -1 : 1,
    );
    const rolling = whole.slice(0, Math.max(0, whole.length - keepWhole));
    const newest = rolling.at(-1);
    if (!newest) return;
    const names: Record<string, string> = { "#rolledUp": "rolledUp", "#rolledUpTo": "rolledUpTo" };
    const removed: string[] = [];
    const present: string[] = [];
    rolling.forEach((purchase, index) => {
      names[`#p${index}`] = `${PURCHASE}${purchase.orderId}`;
      names[`#r${index}`] = `${REFUNDED}${purchase.orderId}`;
      removed.push(`#p${index}`, `#r${index}`);
      present.push(`attribute_exists(#p${index})`);
    });
    try {
      await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: `SET #rolledUp = :totals, #rolledUpTo = :to REMOVE ${removed.join(", ")}`,
          ConditionExpression: `${present.join(" AND ")} AND ${
            profile.rolledUpTo === undefined ? "attribute_not_exists(#rolledUpTo)" : "#rolledUpTo = :before"
          }`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ":totals": addPurchases(profile.rolledUp, rolling),
            ":to": purchaseOrderKey(newest),
            ...(profile.rolledUpTo === undefined ? {} : { ":before": profile.rolledUpTo }),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  /** One partition of the customer directory, most recent buyer first, after the key `after`. */
  async pageCustomers(
    shard: number,
    after: string | undefined,
    limit: number,
  ): Promise<{ entries: DirectoryEntry[]; done: boolean }> {
    const { Items = [], LastEvaluatedKey } = await this.table.doc.send(
      this.table.commands.Query({
        TableName: this.table.tableName,
        IndexName: TABLE_KEYS.gsi1,
        KeyConditionExpression: after === undefined ? "gsi1pk = :pk" : "gsi1pk = :pk AND gsi1sk < :after",
        ExpressionAttributeValues: {
          ":pk": `CUSTOMERS#${shard}`,
          ...(after === undefined ? {} : { ":after": after }),
        },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const entries = Items.map((item) => ({
      key: String(item[TABLE_KEYS.gsi1SortKey]),
      customer: customerOf(item) as CustomerRecord,
    }));
    return { entries, done: LastEvaluatedKey === undefined };
  }
}
