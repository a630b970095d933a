import { createHash } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { Consent } from "../../core/shared/model.js";
import type { ConsentSubject, CustomerFacts, NumberMarketing, PhoneOptOut } from "../../core/shared/ports.js";
import { type Table, whoseFields, whoseKeys } from "./table.js";

/** Where a customer's or a number's consent history is kept: their profile's partition, or the number's. */
const consentPartition = (subject: ConsentSubject) =>
  "customerId" in subject ? `CUSTOMER#${subject.customerId}` : `OPTOUT#${subject.phone}`;

/**
 * What may be sent to whom as marketing: a number's opt-outs (`OPTOUT#<phone>`, the latest on one item and
 * each in its history) and the consent records of customers and numbers (docs/consent.md). Numbers are filed
 * under themselves (gsi3), so `forget` and a shop's erasure find one no profile carries.
 */
/** The customer facts kept here rather than with the profile (`CustomerFactsTable` has the rest). */
export type MarketingRecordFacts =
  | "recordPhoneOptOut"
  | "listPhoneOptOuts"
  | "getPhoneOptOut"
  | "getNumberMarketing"
  | "recordConsent"
  | "listConsents";

export class MarketingRecordsTable implements Pick<CustomerFacts, MarketingRecordFacts> {
  constructor(private readonly table: Table) {}

  /** Opts a phone number out of marketing from `at` (the earliest opt-out is kept), and keeps its history. */
  async recordPhoneOptOut(phone: string, at: string, source: string, reply?: string): Promise<void> {
    await this.table.update(
      { pk: `OPTOUT#${phone}`, sk: "OPTOUT" },
      {
        phone: { value: phone },
        ...whoseFields({ kind: "PHONE", id: phone }, "OPTOUT"),
        optedOutAt: { value: at, keepExisting: true },
        source: { value: source, keepExisting: true },
      },
    );
    // One item per opt-out, keyed by its time and content: a provider's repeated push writes it again.
    const id = createHash("sha256")
      .update(`${source}\n${reply ?? ""}`)
      .digest("hex")
      .slice(0, 12);
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: {
          pk: `OPTOUT#${phone}`,
          sk: `AT#${at}#${id}`,
          phone,
          at,
          source,
          ...(reply === undefined ? {} : { reply: reply.slice(0, 1000) }),
        },
      }),
    );
  }
  /** Every opt-out of a number, oldest first. */
  async listPhoneOptOuts(phone: string): Promise<PhoneOptOut[]> {
    const items = await this.table.queryAll(`OPTOUT#${phone}`);
    return items
      .filter((item) => String(item.sk).startsWith("AT#"))
      .map((item) => ({
        phone: String(item.phone),
        at: String(item.at),
        source: String(item.source),
        ...(typeof item.reply === "string" ? { reply: item.reply } : {}),
      }))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }
  /** When a phone number opted out of marketing, if it did. */
  async getPhoneOptOut(phone: string): Promise<string | undefined> {
    return (await this.getNumberMarketing(phone))?.optedOutAt;
  }
  /** A number's opt-out and latest consent: one item, read once. */
  async getNumberMarketing(phone: string): Promise<NumberMarketing | undefined> {
    const item = await this.table.getItem({ pk: `OPTOUT#${phone}`, sk: "OPTOUT" });
    if (!item) return undefined;
    return {
      ...(typeof item.optedOutAt === "string" ? { optedOutAt: item.optedOutAt } : {}),
      ...(item.consent ? { consent: item.consent as Consent } : {}),
    };
  }
  /**
   * Keeps a consent record: one history item per record (keyed by its time and content, so a repeated
   * webhook writes it again), and the subject's latest — the customer's profile or the number's item — under
   * the condition that no later one is kept there.
   */
  async recordConsent(subject: ConsentSubject, consent: Consent): Promise<void> {
    const byCustomer = "customerId" in subject;
    const pk = consentPartition(subject);
    const at = new Date(consent.at).toISOString();
    const id = createHash("sha256").update(`${consent.state}\n${consent.source}`).digest("hex").slice(0, 12);
    const record = { state: consent.state, source: consent.source, at: consent.at };
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        // A number's record is filed under it, so a shop's erasure finds numbers no profile carries.
        Item: {
          pk,
          sk: `CONSENT#${at}#${id}`,
          ...record,
          ...(byCustomer ? {} : whoseKeys({ kind: "PHONE", id: subject.phone }, at)),
        },
      }),
    );
    try {
      await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: { pk, sk: byCustomer ? "PROFILE" : "OPTOUT" },
          UpdateExpression: "SET #consent = :consent, #consentAtMs = :ms, #who = :who",
          ConditionExpression: "attribute_not_exists(#consentAtMs) OR #consentAtMs <= :ms",
          ExpressionAttributeNames: {
            "#consent": "consent",
            "#consentAtMs": "consentAtMs",
            "#who": byCustomer ? "customerId" : "phone",
          },
          ExpressionAttributeValues: {
            ":consent": record,
            ":ms": Date.parse(consent.at),
            ":who": byCustomer ? subject.customerId : subject.phone,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  /** A customer's or a number's consent history, oldest first. */
  async listConsents(subject: ConsentSubject): Promise<Consent[]> {
    return (await this.table.queryAll(consentPartition(subject)))
      .filter((item) => String(item.sk).startsWith("CONSENT#"))
      .map((item) => ({ state: item.state, source: String(item.source), at: String(item.at) }) as Consent)
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }
}
