import * as z from "zod";
import { KEEP_PURCHASES } from "../customers/purchases.js";
import { parseDuration } from "../shared/duration.js";
import { duration } from "./settings.js";

/**
 * The customer settings of the shop config (stages, member levels, RFM cut points) and the segment filter:
 * schemas only, a leaf the config and the journeys import without the profile code (`customers/profiles.ts`).
 */

/** Where a customer stands with the shop. */
export const STAGES = ["prospect", "new", "returning", "dormant", "churned"] as const;
export type Stage = (typeof STAGES)[number];

/** Four ascending cut points make five scores. */
const cutPoints = <T extends z.ZodType>(value: T) =>
  z.array(value).length(4, { error: "expected 4 ascending cut points (5 scores)" });

const ascending = (values: readonly number[]) =>
  values.every((value, i) => i === 0 || value >= (values[i - 1] ?? 0));

/** The config's customer settings: stages, member levels, RFM cut points. */
export const customerSettings = {
  profiles: z
    .strictObject({
      /**
       * Paid orders a customer's profile item keeps whole; older ones are rolled into totals that every
       * figure still counts (stages, levels, RFM, segments). Bounds the item far under DynamoDB's 400 KB.
       */
      keepPurchases: z.number().int().min(5).max(500).default(KEEP_PURCHASES),
    })
    .prefault({}),
  stages: z
    .strictObject({
      /** No paid order for this long: `churned` (shorter than that but past the product cycle: `dormant`). */
      churnedAfter: duration.default("180d"),
    })
    .prefault({}),
  members: z
    .strictObject({
      /** From the lowest level to the highest; a customer holds the highest one they reached. */
      levels: z
        .array(
          z
            .strictObject({
              name: z.string().min(1).max(12),
              minSpend: z.number().nonnegative().optional(),
              minOrders: z.number().int().nonnegative().optional(),
            })
            .refine((level) => level.minSpend !== undefined || level.minOrders !== undefined, {
              error: "a level needs minSpend or minOrders",
            }),
        )
        .default([]),
    })
    .prefault({}),
  rfm: z
    .strictObject({
      /**
       * Cut points of the 1–5 scores: `r` in days since the last payment (recent scores 5), `f` in paid
       * orders, `m` in spend. @default the shop's quintiles, from its customers who paid
       */
      bounds: z
        .strictObject({
          r: cutPoints(duration),
          f: cutPoints(z.number().nonnegative()).refine(ascending, { error: "cut points must ascend" }),
          m: cutPoints(z.number().nonnegative()).refine(ascending, { error: "cut points must ascend" }),
        })
        .refine((bounds) => ascending(bounds.r.map(parseDuration)), {
          error: "cut points must ascend",
          path: ["r"],
        })
        .optional(),
    })
    .prefault({}),
};

const score = z.number().int().min(1).max(5);
const scoreRange = z
  .tuple([score, score])
  .refine(([low, high]) => low <= high, { error: "expected [min, max] with min ≤ max" });

/** Which customers a segment holds: every condition given must hold. */
export const SegmentFilterSchema = z.strictObject({
  stage: z.array(z.enum(STAGES)).min(1).optional(),
  /** Member level names (`members.levels`). */
  level: z.array(z.string().min(1)).min(1).optional(),
  minPaidOrders: z.number().int().nonnegative().optional(),
  maxPaidOrders: z.number().int().nonnegative().optional(),
  /** Spend net of refunds. */
  minSpend: z.number().nonnegative().optional(),
  lastPaidWithin: duration.optional(),
  lastPaidNotWithin: duration.optional(),
  /** Bought an item of any of these categories. */
  categories: z.array(z.string().min(1)).min(1).optional(),
  provinces: z.array(z.string().min(1)).min(1).optional(),
  /** Born in this month (1–12), or any of these. */
  birthdayMonth: z
    .union([z.number().int().min(1).max(12), z.array(z.number().int().min(1).max(12)).min(1)])
    .optional(),
  minItemsPerOrder: z.number().positive().optional(),
  rfm: z
    .strictObject({ r: scoreRange.optional(), f: scoreRange.optional(), m: scoreRange.optional() })
    .optional(),
});
export type SegmentFilter = z.infer<typeof SegmentFilterSchema>;
