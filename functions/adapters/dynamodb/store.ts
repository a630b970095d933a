import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Repositories } from "../../core/shared/ports.js";
import { ArchiveTable } from "./archive.js";
import { CampaignTable } from "./campaigns.js";
import { CheckoutTable } from "./checkouts.js";
import { CustomerFactsTable } from "./customer-facts.js";
import { FactsTable } from "./facts.js";
import { LedgerTable } from "./ledger.js";
import { LimitsTable } from "./limits.js";
import { LinkTable } from "./links.js";
import { MarketingRecordsTable } from "./marketing-records.js";
import { ParcelSubscriptionTable } from "./parcel-subscriptions.js";
import { PersonalDataTable } from "./personal-data.js";
import { type DocumentSender, ReadCachingSender, Table } from "./table.js";

export { type DocumentRequest, type DocumentSender, INDEX_SHARDS, indexShard, TABLE_KEYS } from "./table.js";

/** Every repository over one DynamoDB table (the single-table layout is in `table.ts`). */
export interface Store extends Repositories {}

/**
 * The repositories over one DynamoDB table: order and customer facts (`facts.ts`), the ledger
 * (`ledger.ts`), the send limits (`limits.ts`), and the archive, outbox and touches (`archive.ts`), each
 * over the shared {@link Table}.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface declares the methods REPOSITORIES installs
export class Store {
  private readonly table: Table;
  /** The repositories the methods forward to (each usable on its own). */
  readonly facts: FactsTable;
  readonly checkouts: CheckoutTable;
  readonly customers: CustomerFactsTable;
  readonly ledger: LedgerTable;
  readonly limits: LimitsTable;
  readonly archive: ArchiveTable;
  readonly campaigns: CampaignTable;
  readonly links: LinkTable;
  readonly personal: PersonalDataTable;
  readonly marketing: MarketingRecordsTable;
  readonly parcels: ParcelSubscriptionTable;

  constructor(client: DynamoDBClient | DocumentSender, tableName: string) {
    this.table = new Table(client, tableName);
    this.customers = new CustomerFactsTable(this.table);
    this.facts = new FactsTable(this.table, this.customers);
    this.checkouts = new CheckoutTable(this.table, this.customers);
    this.ledger = new LedgerTable(this.table);
    this.limits = new LimitsTable(this.table);
    this.archive = new ArchiveTable(this.table);
    this.campaigns = new CampaignTable(this.table);
    this.links = new LinkTable(this.table);
    this.personal = new PersonalDataTable(this.table);
    this.marketing = new MarketingRecordsTable(this.table);
    this.parcels = new ParcelSubscriptionTable(this.table);
  }

  /**
   * This table through a store that reads each item once until it writes anything, for work that reads
   * the same items over and over in a moment: one event's dispatch reads its order, customer and opt-out
   * again for every journey it plans. A write by another Lambda in between is not seen, as if this work
   * had run a moment earlier; a write through this store is.
   */
  withReadCache(): Store {
    return new Store(new ReadCachingSender(this.table.doc, this.table.commands), this.table.tableName);
  }

  /** Every item, for tests and the local tools. */
  scanAll(): Promise<Record<string, unknown>[]> {
    return this.table.scanAll();
  }
}

/** Which field of a store holds each repository. */
const REPOSITORIES = [
  ["facts", FactsTable],
  ["checkouts", CheckoutTable],
  ["customers", CustomerFactsTable],
  ["ledger", LedgerTable],
  ["limits", LimitsTable],
  ["archive", ArchiveTable],
  ["campaigns", CampaignTable],
  ["links", LinkTable],
  ["personal", PersonalDataTable],
  ["marketing", MarketingRecordsTable],
  ["parcels", ParcelSubscriptionTable],
] as const;

// Each repository method, once on the prototype, forwarding to the store's repository: a store is made
// per dispatched event (`withReadCache`), so nothing is bound per instance.
for (const [field, repository] of REPOSITORIES) {
  for (const name of Object.getOwnPropertyNames(repository.prototype)) {
    if (name === "constructor") continue;
    Object.defineProperty(Store.prototype, name, {
      value(this: Record<string, Record<string, (...args: unknown[]) => unknown>>, ...args: unknown[]) {
        return (this[field] as Record<string, (...args: unknown[]) => unknown>)[name]?.(...args);
      },
      writable: true,
      configurable: true,
    });
  }
}
