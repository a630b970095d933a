import type {
  ParcelSubscription,
  ParcelSubscriptions,
  SubscriptionTally,
} from "../../core/parcels/subscriptions.js";
// A failed condition (a try taken, a round moved on) is an answer, as for a repeated click.
import { counted as conditional } from "./click-counts.js";
import { stripKeys, type Table, whoseKeys } from "./table.js";

const keyOf = (orderId: string, trackingNo: string) => ({ pk: `TRACKSUB#${orderId}`, sk: trackingNo });

/** The day tallies' partition (`TRACKSTAT` / `<yyyy-mm-dd>`): one small item a day. */
const TALLY_PARTITION = "TRACKSTAT";

type TallyField = Exclude<keyof SubscriptionTally, "day">;

/** The tally a settled status adds to, counted once as the subscription leaves it (first round only). */
function tallyOf(old: Record<string, unknown>, status: ParcelSubscription["status"]): TallyField | undefined {
  if (status === "lost") return old.status === "lost" ? undefined : "lost";
  if (old.status !== "pending" || old.round !== 0) return undefined;
  if (status === "subscribed") return "subscribed";
  if (status === "handed-off") return "handedOff";
  if (status === "not-configured") return "notConfigured";
  return undefined;
}

/**
 * Parcel subscriptions (`TRACKSUB#<orderId>` / `<trackingNo>`, filed under the order in gsi3): each try
 * taken by a conditional update of its round and attempt count, so only one worker ever makes it.
 */
export class ParcelSubscriptionTable implements ParcelSubscriptions {
  constructor(private readonly table: Table) {}

  fileParcelSubscription(orderId: string, trackingNo: string, at: string): Promise<boolean> {
    return conditional(() =>
      this.table.doc.send(
        this.table.commands.Put({
          TableName: this.table.tableName,
          Item: {
            ...keyOf(orderId, trackingNo),
            ...whoseKeys({ kind: "ORDER", id: orderId }, `TRACKSUB#${trackingNo}`),
            orderId,
            trackingNo,
            status: "pending",
            round: 0,
            attempts: 0,
            filedAt: at,
            updatedAt: at,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    ).then(async (filed) => {
      // A crash between the two writes leaves the day one short: a doctor figure, not a decision.
      if (filed) await this.tally(at, "filed");
      return filed;
    });
  }

  /** The day tallies from `sinceDay` (yyyy-mm-dd, UTC) on. */
  async subscriptionTallies(sinceDay: string): Promise<SubscriptionTally[]> {
    const items = await this.table.allPages((startKey) =>
      this.table.doc.send(
        this.table.commands.Query({
          TableName: this.table.tableName,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :since AND :until",
          ExpressionAttributeValues: { ":pk": TALLY_PARTITION, ":since": sinceDay, ":until": "9999-12-31" },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return items.map((item) => ({
      day: String(item.sk),
      filed: Number(item.filed ?? 0),
      subscribed: Number(item.subscribed ?? 0),
      handedOff: Number(item.handedOff ?? 0),
      notConfigured: Number(item.notConfigured ?? 0),
      lost: Number(item.lost ?? 0),
    }));
  }

  private async tally(at: string, field: TallyField): Promise<void> {
    await this.table.doc.send(
      this.table.commands.Update({
        TableName: this.table.tableName,
        Key: { pk: TALLY_PARTITION, sk: at.slice(0, 10) },
        UpdateExpression: "ADD #field :one",
        ExpressionAttributeNames: { "#field": field },
        ExpressionAttributeValues: { ":one": 1 },
      }),
    );
  }

  async getParcelSubscription(orderId: string, trackingNo: string): Promise<ParcelSubscription | undefined> {
    const item = await this.table.getItem(keyOf(orderId, trackingNo));
    // `status` is a storage attribute elsewhere (stripKeys drops it): kept here by hand.
    return item ? ({ ...stripKeys(item), status: item.status } as ParcelSubscription) : undefined;
  }

  leaseSubscriptionTry(
    orderId: string,
    trackingNo: string,
    try_: { readonly round: number; readonly attempt: number },
    at: string,
  ): Promise<boolean> {
    return conditional(() =>
      this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: keyOf(orderId, trackingNo),
          UpdateExpression: "SET #attempts = :next, #leasedAt = :at",
          ConditionExpression: "#status = :pending AND #round = :round AND #attempts = :attempt",
          ExpressionAttributeNames: {
            "#attempts": "attempts",
            "#leasedAt": "leasedAt",
            "#status": "status",
            "#round": "round",
          },
          ExpressionAttributeValues: {
            ":next": try_.attempt + 1,
            ":at": at,
            ":pending": "pending",
            ":round": try_.round,
            ":attempt": try_.attempt,
          },
        }),
      ),
    );
  }

  openSubscriptionRound(orderId: string, trackingNo: string, round: number, at: string): Promise<boolean> {
    return conditional(() =>
      this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: keyOf(orderId, trackingNo),
          UpdateExpression: "SET #status = :pending, #round = :round, #attempts = :zero, #updatedAt = :at",
          ConditionExpression: "#round = :previous AND #status IN (:pending, :subscribed)",
          ExpressionAttributeNames: {
            "#status": "status",
            "#round": "round",
            "#attempts": "attempts",
            "#updatedAt": "updatedAt",
          },
          ExpressionAttributeValues: {
            ":pending": "pending",
            ":subscribed": "subscribed",
            ":round": round,
            ":previous": round - 1,
            ":zero": 0,
            ":at": at,
          },
        }),
      ),
    );
  }

  async settleParcelSubscription(
    orderId: string,
    trackingNo: string,
    outcome: Pick<ParcelSubscription, "status"> & { returnCode?: string; message?: string },
    at: string,
  ): Promise<void> {
    const old = await this.table.update(
      keyOf(orderId, trackingNo),
      {
        status: { value: outcome.status },
        updatedAt: { value: at },
        ...(outcome.returnCode ? { returnCode: { value: outcome.returnCode } } : {}),
        ...(outcome.message ? { message: { value: outcome.message.slice(0, 500) } } : {}),
      },
      { returnAllOld: true },
    );
    // Counted on the day it was filed, so a day's share compares like with like.
    const field = old && typeof old.filedAt === "string" ? tallyOf(old, outcome.status) : undefined;
    if (field) await this.tally(old?.filedAt as string, field);
  }
}
