import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { CapReservation, SendLimits } from "../../core/shared/ports.js";

import { CAP_CONTENTION_ATTEMPTS, type CapItem, DAY_MS, type Table } from "./table.js";

/** Each cap item's sends of the last 7 days before `now`. */
function recentSends(items: readonly CapItem[], now: number) {
  return items.map((item) => (item.sends ?? []).filter((send) => Date.parse(send.at) > now - 7 * DAY_MS));
}

/** Whether any of the keys' recent sends already fill the week's or the day's cap. */
function overCap(recent: ReturnType<typeof recentSends>, reservation: CapReservation): boolean {
  const now = reservation.at.getTime();
  return recent.some(
    (sends) =>
      sends.length >= reservation.perWeek ||
      sends.filter((send) => Date.parse(send.at) > now - DAY_MS).length >= reservation.perDay,
  );
}

/** The marketing caps and the per-second budgets over the table. */
export class LimitsTable implements SendLimits {
  constructor(private readonly table: Table) {}

  private capItems(keys: readonly string[]): Promise<CapItem[]> {
    return Promise.all(
      keys.map(async (pk) => ((await this.table.getItem({ pk, sk: "CAPS" })) ?? {}) as CapItem),
    );
  }

  /** Whether a send would fit under the caps now (a step already counted fits), reserving nothing. */
  async marketingSendFits(reservation: CapReservation): Promise<boolean> {
    const keys = [`CAPS#CUSTOMER#${reservation.customerId}`];
    if (reservation.phone) keys.push(`CAPS#PHONE#${reservation.phone}`);
    const items = await this.capItems(keys);
    if (items.some((item) => item.sends?.some((send) => send.key === reservation.key))) return true;
    return !overCap(recentSends(items, reservation.at.getTime()), reservation);
  }

  /**
   * Counts one marketing send against the frequency caps of the customer and of the phone number,
   * atomically (optimistic locking in one transaction), so two journeys deciding at the same moment
   * cannot both pass a cap of 1. Reserving the same `key` again returns true without counting twice.
   * @returns whether the send fits under both caps
   */
  async reserveMarketingSend(reservation: CapReservation): Promise<boolean> {
    const keys = [`CAPS#CUSTOMER#${reservation.customerId}`];
    if (reservation.phone) keys.push(`CAPS#PHONE#${reservation.phone}`);
    const now = reservation.at.getTime();
    for (let attempt = 0; attempt < CAP_CONTENTION_ATTEMPTS; attempt += 1) {
      const items = await this.capItems(keys);
      if (items.some((item) => item.sends?.some((send) => send.key === reservation.key))) return true;
      const recent = recentSends(items, now);
      if (overCap(recent, reservation)) return false;
      const send = { at: reservation.at.toISOString(), key: reservation.key };
      try {
        await this.table.doc.send(
          this.table.commands.TransactWrite({
            TransactItems: keys.map((pk, index) => {
              const version = items[index]?.version;
              return {
                Put: {
                  TableName: this.table.tableName,
                  Item: {
                    pk,
                    sk: "CAPS",
                    sends: [...(recent[index] ?? []), send],
                    version: (version ?? 0) + 1,
                    ttl: Math.floor(now / 1000) + 8 * 86_400,
                  },
                  ConditionExpression:
                    version === undefined ? "attribute_not_exists(pk)" : "#version = :version",
                  ...(version === undefined
                    ? {}
                    : {
                        ExpressionAttributeNames: { "#version": "version" },
                        ExpressionAttributeValues: { ":version": version },
                      }),
                },
              };
            }),
          }),
        );
        return true;
      } catch (error) {
        // Another send changed a cap item between our read and write: read again and re-decide.
        if ((error as Error).name !== "TransactionCanceledException") throw error;
      }
    }
    throw new Error(`frequency cap for customer ${reservation.customerId} stayed contended`);
  }
  /**
   * Takes a ticket from a per-second budget shared by every Lambda (a provider's send rate, the
   * StartExecution quota): one conditional write per caller, however many wait. Tickets of a second are
   * numbered from the caller's current slot on, so the counter never trails the clock.
   * @param offset the caller's slot within the second (0 … limit − 1)
   * @returns the ticket (1 … limit: send in slot ticket − 1), `full` when the second is used up, or
   *   `retry` when another caller just moved the counter
   */
  async takeRateTicket(
    budget: string,
    second: number,
    offset: number,
    limit: number,
  ): Promise<number | "full" | "retry"> {
    const key = { pk: `RATE#${budget}`, sk: String(second) };
    const names = { "#count": "count", "#ttl": "ttl" };
    const ttl = second + 300;
    try {
      const { Attributes } = await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: "SET #count = if_not_exists(#count, :offset) + :one, #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#count) OR (#count >= :offset AND #count < :limit)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":offset": offset, ":one": 1, ":limit": limit, ":ttl": ttl },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes?.count);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Full, or the counter trails the clock (nobody took a ticket for a while): move it to now.
    try {
      await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: "SET #count = :next, #ttl = :ttl",
          ConditionExpression: "#count < :offset",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":offset": offset, ":next": offset + 1, ":ttl": ttl },
        }),
      );
      return offset + 1;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const current = Number((await this.table.getItem(key))?.count ?? 0);
    return current >= limit ? "full" : "retry";
  }
  /**
   * Reserves the next free send slot of a budget, `slotMs` long, at `now` or after the last one reserved.
   * @returns the slot's start (ms since the epoch)
   */
  async reserveRateSlot(budget: string, now: number, slotMs: number): Promise<number> {
    const key = { pk: `RATE#${budget}`, sk: "NEXT" };
    const names = { "#next": "next", "#ttl": "ttl" };
    const ttl = Math.floor(now / 1000) + 86_400;
    try {
      // Nobody holds a later slot: this one starts now.
      await this.table.doc.send(
        this.table.commands.Update({
          TableName: this.table.tableName,
          Key: key,
          UpdateExpression: "SET #next = :after, #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#next) OR #next <= :now",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":now": now, ":after": now + slotMs, ":ttl": ttl },
        }),
      );
      return now;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Attributes } = await this.table.doc.send(
      this.table.commands.Update({
        TableName: this.table.tableName,
        Key: key,
        UpdateExpression: "SET #next = #next + :slot, #ttl = :ttl",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":slot": slotMs, ":ttl": ttl },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(Attributes?.next) - slotMs;
  }
}
