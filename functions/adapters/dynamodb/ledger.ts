import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  canonicalDecision,
  type DecisionRecord,
  type Delivery,
  type JourneyId,
} from "../../core/shared/model.js";
import {
  type Ledger,
  type LedgerEntry,
  type MessageRef,
  ReceiptTooEarlyError,
} from "../../core/shared/ports.js";

import {
  acrossShards,
  indexShard,
  referenceKey,
  refOfReference,
  stripKeys,
  type Table,
  whoseKeys,
} from "./table.js";

/** The send ledger over the table: claims, decisions, win-back cycles, message refs and receipts. */
export class LedgerTable implements Ledger {
  constructor(private readonly table: Table) {}

  /** The ledger entries of one journey for one subject (order or customer), by step name. */
  async listLedger(journey: JourneyId, subjectId: string): Promise<Map<string, LedgerEntry>> {
    const ledger = new Map<string, LedgerEntry>();
    for (const item of await this.table.queryAll(`JOURNEY#${journey}#${subjectId}`)) {
      const step = String(item.sk).slice("STEP#".length);
      ledger.set(step, { status: item.status, ...stripKeys<Record<string, unknown>>(item) } as LedgerEntry);
    }
    return ledger;
  }
  /**
   * Claims a step before its side effect. Exactly one caller wins; every other (a retry, a duplicate
   * execution) gets `false` and must not send.
   */
  async claimStep(journey: JourneyId, subjectId: string, step: string, at: string): Promise<boolean> {
    try {
      await this.table.doc.send(
        this.table.commands.Put({
          TableName: this.table.tableName,
          Item: {
            pk: `JOURNEY#${journey}#${subjectId}`,
            sk: `STEP#${step}`,
            status: "pending",
            claimedAt: at,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
  /** Frees a claim whose side effect certainly did not happen, so a retry may claim the step again. */
  async releaseClaim(journey: JourneyId, subjectId: string, step: string): Promise<void> {
    try {
      await this.table.doc.send(
        this.table.commands.Delete({
          TableName: this.table.tableName,
          Key: { pk: `JOURNEY#${journey}#${subjectId}`, sk: `STEP#${step}` },
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":pending": "pending" },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  /**
   * Writes a step's final decision. With `claimed`, it completes this caller's own claim; without, it
   * succeeds only if nobody decided the step yet. Returns whether this call wrote it.
   */
  async recordDecision(
    subjectId: string,
    decision: DecisionRecord,
    claimed: boolean,
    extra: { readonly provider?: string; readonly messageId?: string; readonly error?: string } = {},
  ): Promise<boolean> {
    try {
      await this.table.doc.send(
        this.table.commands.Put({
          TableName: this.table.tableName,
          Item: {
            pk: `JOURNEY#${decision.journey}#${subjectId}`,
            sk: `STEP#${decision.step}`,
            gsi1pk: `DECISIONS#${indexShard(`JOURNEY#${decision.journey}#${subjectId}`)}`,
            gsi1sk: `${new Date(decision.at).toISOString()}#${decision.journey}#${subjectId}#${decision.step}`,
            status: "final",
            ...(decision.customerId
              ? whoseKeys({ kind: "CUSTOMER", id: decision.customerId }, `DECISION#${decision.at}`)
              : decision.orderId
                ? whoseKeys({ kind: "ORDER", id: decision.orderId }, `DECISION#${decision.at}`)
                : {}),
            ...decision,
            ...extra,
          },
          ConditionExpression: claimed ? "#status = :pending" : "attribute_not_exists(pk)",
          ...(claimed
            ? {
                ExpressionAttributeNames: { "#status": "status" },
                ExpressionAttributeValues: { ":pending": "pending" },
              }
            : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
  /**
   * Makes `cycle` the customer's current win-back cycle unless a later-paid order already is one (webhooks
   * arrive out of order).
   * @returns `{ started: false }` when a later cycle exists; otherwise the cycle it replaced, if any
   */
  async startWinbackCycle(
    customerId: string,
    cycle: { readonly orderId: string; readonly paidAt: string },
  ): Promise<{ started: boolean; replaced?: { orderId: string; paidAt: string } }> {
    try {
      const { Attributes } = await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: { pk: `CUSTOMER#${customerId}`, sk: "PROFILE" },
          UpdateExpression: "SET #customerId = :customerId, #orderId = :orderId, #paidAt = :paidAt",
          ConditionExpression: "attribute_not_exists(#paidAt) OR #paidAt < :paidAt",
          ExpressionAttributeNames: {
            "#customerId": "customerId",
            "#orderId": "winbackOrderId",
            "#paidAt": "winbackPaidAt",
          },
          ExpressionAttributeValues: {
            ":customerId": customerId,
            ":orderId": cycle.orderId,
            ":paidAt": new Date(cycle.paidAt).toISOString(),
          },
          ReturnValues: "UPDATED_OLD",
        }),
      );
      const replaced =
        Attributes?.winbackOrderId !== undefined
          ? { orderId: String(Attributes.winbackOrderId), paidAt: String(Attributes.winbackPaidAt) }
          : undefined;
      return { started: true, replaced };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { started: false };
      throw error;
    }
  }
  /** Files a provider message id so its delivery receipt finds the step (kept 30 days). */
  /**
   * Keeps where a sent message's receipts go: under the provider's message id, or, for a send whose outcome
   * is unknown (`messageId` undefined), under the ledger reference the provider echoes in receipts.
   */
  async putMessageRef(
    provider: string,
    sent: { readonly messageId?: string; readonly reference: string },
    ref: MessageRef,
    at: Date,
  ): Promise<void> {
    const messageId = sent.messageId ?? referenceKey(sent.reference);
    await this.table.doc.send(
      this.table.commands.Put({
        TableName: this.table.tableName,
        Item: {
          pk: `MESSAGE#${provider}#${messageId}`,
          sk: "MESSAGE",
          ttl: Math.floor(at.getTime() / 1000) + 30 * 86_400,
          ...ref,
        },
      }),
    );
  }
  /**
   * Records a delivery receipt on the decision of the step that sent the message, found by the provider's
   * message id, else by the ledger reference the provider echoed (a send that timed out has no id).
   * @returns false when neither is known (not ours, or older than 30 days)
   */
  async recordDelivery(
    receipt: { readonly provider: string; readonly messageId: string; readonly reference?: string },
    delivery: Delivery,
    at: string,
  ): Promise<boolean> {
    const lookup = (id: string) =>
      this.table
        .getItem({ pk: `MESSAGE#${receipt.provider}#${id}`, sk: "MESSAGE" })
        .then((item) => stripKeys<MessageRef>(item));
    const ref =
      (await lookup(receipt.messageId)) ??
      (receipt.reference
        ? ((await lookup(referenceKey(receipt.reference))) ?? refOfReference(receipt.reference))
        : undefined);
    if (!ref) return false;
    const key = { pk: `JOURNEY#${ref.journey}#${ref.subjectId}`, sk: `STEP#${ref.step}` };
    try {
      // Only on the decision: on a claim still in flight, the decision's own write would replace it.
      await this.table.update(
        key,
        { delivery: { value: delivery }, deliveryAt: { value: at } },
        {
          condition: "attribute_exists(pk) AND #status = :final",
          conditionNames: { "#status": "status" },
          conditionValues: { ":final": "final" },
        },
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const entry = await this.table.getItem(key);
    if (entry?.status === "pending")
      throw new ReceiptTooEarlyError(`${ref.journey}:${ref.subjectId}:${ref.step}`);
    return false;
  }
  /** All decisions, oldest first (the audit trail behind `simulate` and reports). */
  async listDecisions(): Promise<DecisionRecord[]> {
    const items = await acrossShards(
      (shard) => this.table.queryAll(`DECISIONS#${shard}`, { index: true }),
      "gsi1sk",
    );
    return items.map(canonicalDecision);
  }
}
