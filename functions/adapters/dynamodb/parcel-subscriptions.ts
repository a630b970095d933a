import type { ParcelSubscription, ParcelSubscriptions } from "../../core/parcels/subscriptions.js";
// A failed condition (a try taken, a round moved on) is an answer, as for a repeated click.
import { counted as conditional } from "./click-counts.js";
import { stripKeys, type Table, whoseKeys } from "./table.js";

const keyOf = (orderId: string, trackingNo: string) => ({ pk: `TRACKSUB#${orderId}`, sk: trackingNo });

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
            updatedAt: at,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
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
    await this.table.update(keyOf(orderId, trackingNo), {
      status: { value: outcome.status },
      updatedAt: { value: at },
      ...(outcome.returnCode ? { returnCode: { value: outcome.returnCode } } : {}),
      ...(outcome.message ? { message: { value: outcome.message.slice(0, 500) } } : {}),
    });
  }
}
