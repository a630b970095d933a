import type {
  CampaignControl,
  CampaignHold,
  CampaignProgress,
  CampaignRuns,
} from "../../core/shared/ports.js";
import { stripKeys, type Table } from "./table.js";

/**
 * A campaign's run over the table: its control and progress items (`CAMPAIGN#<id>` / `CONTROL`, `RUN`)
 * and its held messages (`CAMPAIGN#<id>#HELD` / `<sendAt>#<customerId>`), which sort by when they are due,
 * so the runner asks for the due ones with one Query.
 */
export class CampaignTable implements CampaignRuns {
  constructor(private readonly table: Table) {}

  async getCampaignControl(campaignId: string): Promise<CampaignControl | undefined> {
    const item = await this.table.getItem({ pk: `CAMPAIGN#${campaignId}`, sk: "CONTROL" });
    // Kept as `control`: `status` is a storage attribute the table strips from what it reads.
    return item ? { status: item.control as CampaignControl["status"], at: String(item.at) } : undefined;
  }
  async setCampaignControl(campaignId: string, control: CampaignControl): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: { pk: `CAMPAIGN#${campaignId}`, sk: "CONTROL", control: control.status, at: control.at },
      }),
    );
  }
  async putCampaignHold(campaignId: string, hold: CampaignHold): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: { pk: `CAMPAIGN#${campaignId}#HELD`, sk: holdKey(hold), ...hold },
      }),
    );
  }
  async deleteCampaignHold(
    campaignId: string,
    hold: Pick<CampaignHold, "customerId" | "sendAt">,
  ): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Delete({
        TableName: this.table.tableName,
        Key: { pk: `CAMPAIGN#${campaignId}#HELD`, sk: holdKey(hold) },
      }),
    );
  }
  async listCampaignHolds(
    campaignId: string,
    dueBy: string | undefined,
    limit: number,
  ): Promise<CampaignHold[]> {
    const { Items = [] } = await this.table.doc.send(
      this.table.commands.Query({
        TableName: this.table.tableName,
        KeyConditionExpression: dueBy === undefined ? "pk = :pk" : "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: {
          ":pk": `CAMPAIGN#${campaignId}#HELD`,
          // Keys start with the ISO time: every key due by then sorts before "<dueBy>#\uffff".
          ...(dueBy === undefined ? {} : { ":from": "0", ":to": `${new Date(dueBy).toISOString()}#\uffff` }),
        },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return Items.map((item) => stripKeys<CampaignHold>(item) as CampaignHold);
  }
  async recordCampaignProgress(campaignId: string, progress: CampaignProgress): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: { pk: `CAMPAIGN#${campaignId}`, sk: "RUN", ...progress },
      }),
    );
  }
  async getCampaignProgress(campaignId: string): Promise<CampaignProgress | undefined> {
    return stripKeys<CampaignProgress>(await this.table.getItem({ pk: `CAMPAIGN#${campaignId}`, sk: "RUN" }));
  }
}

const holdKey = (hold: Pick<CampaignHold, "customerId" | "sendAt">) =>
  `${new Date(hold.sendAt).toISOString()}#${hold.customerId}`;
