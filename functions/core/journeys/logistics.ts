import * as z from "zod";
import { duration, giftOrders, templateSettings } from "../config/settings.js";
import type { OrderRecord } from "../shared/model.js";
import { defineJourney, type JourneyContext } from "./module.js";
import {
  after,
  cancelled,
  firstUndecided,
  giftOrder,
  happenedBy,
  noPhone,
  parcelVariables,
  refundedInFull,
  sendUnless,
  templatesOf,
  unknownOrder,
  unreachable,
  VARIABLES,
  waitToSend,
} from "./vocabulary.js";

/**
 * Which trouble each execution answers (its stage), the order fact it follows, and its steps in order:
 * customer service hears of it at once (a handoff), the customer in the notice window.
 */
const STAGES = {
  exception: { fact: "parcelExceptionAt", handoff: "exception", notice: "exception-notice" },
  rejected: { fact: "parcelRejectedAt", handoff: "rejected", notice: "rejected-notice" },
  returned: { fact: "parcelReturnedAt", handoff: "returned", notice: undefined },
  stalled: { fact: "shippedAt", handoff: "stalled", notice: "stalled-notice" },
} as const satisfies Record<string, { fact: keyof OrderRecord; handoff: string; notice: string | undefined }>;

type Stage = keyof typeof STAGES;

/** The handoff reason of each stage, as decision records carry it. */
const HANDOFF_REASONS: Record<Stage, string> = {
  exception: "parcel-exception",
  rejected: "parcel-rejected",
  returned: "parcel-returned",
  stalled: "parcel-stalled",
};

/** Every parcel event after shipping: any of them means the parcel is moving, so it is not stalled. */
const PARCEL_FACTS = [
  "arrivedCityAt",
  "outForDeliveryAt",
  "deliveredAt",
  "parcelExceptionAt",
  "parcelRejectedAt",
  "parcelReturnedAt",
] as const satisfies readonly (keyof OrderRecord)[];

const HANDOFF = "handoff";

const notice = templatesOf("notice", VARIABLES.parcel);

const TEMPLATES = {
  exception: notice(
    "exception",
    "【{shop}】{name}您好，您的包裹（{carrier} {trackingNo}）运输中出现异常，我们已在联系快递处理，有进展第一时间告诉您。",
  ),
  stalled: notice(
    "stalled",
    "【{shop}】{name}您好，您的包裹（{carrier} {trackingNo}）物流暂未更新，我们已在催促快递，请您放心。",
  ),
  rejected: notice(
    "rejected",
    "【{shop}】{name}您好，看到您拒收了包裹，是有什么不满意吗？直接回复我们，马上为您处理。",
  ),
  // Customer service's records: a handoff has no text.
  [HANDOFF]: { messageClass: "notice", recordOnly: true },
} as const;

const settings = z
  .strictObject({
    enabled: z.boolean().default(true),
    /**
     * Hand off an order shipped with no parcel event since (CCMS warns at 48 h and 120 h). Shops without a
     * tracking feed (Kuaidi100, the platform's) turn `watchStalled` off: every parcel would look stalled.
     */
    watchStalled: z.boolean().default(true),
    stalledAfter: duration.default("72h"),
    /** A notice to a buyer who refused the parcel, besides the call: off by default. */
    notifyRejected: z.boolean().default(false),
    /** `skip` (reason `gift`) or `send` the notices for gift orders; the handoffs are made either way. */
    giftOrders,
    templates: templateSettings(TEMPLATES),
  })
  .prefault({});

type Context = JourneyContext<z.infer<typeof settings>>;

function stageOf(context: Context): Stage {
  const stage = context.state.stage ?? "";
  if (stage in STAGES) return stage as Stage;
  throw new Error(`logistics: unknown stage ${JSON.stringify(stage)}`);
}

function stepsOf(context: Context, stage: Stage): string[] {
  const { handoff, notice } = STAGES[stage];
  if (notice === undefined || (stage === "rejected" && !context.settings.notifyRejected)) return [handoff];
  return [handoff, notice];
}

/** When the stage's trouble was known: its event, or for a stalled parcel `stalledAfter` after shipping. */
function troubleAt(context: Context, stage: Stage): Date {
  const at = context.order?.[STAGES[stage].fact] as string | undefined;
  const known = at ?? context.state.enteredAt;
  return stage === "stalled" ? after(known, context.settings.stalledAfter) : new Date(known);
}

/** A parcel event since shipping: the parcel is moving after all. */
const parcelMoved = ({ order, now }: Context) =>
  PARCEL_FACTS.some((fact) => happenedBy(order?.[fact], now)) ? "parcel-moved" : undefined;

/**
 * 物流异常 / 疑难件 / 拒签 — parcels in trouble. A parcel exception, a refusal, a return, and a parcel
 * with no tracking event `stalledAfter` after shipping each go to customer service at once (a handoff with
 * the carrier, tracking number and reason); the exception and the stalled parcel also get a notice to the
 * customer ("we know, we are on it"), held to the notice window. Each step at most once per order. A parcel
 * event before a stalled parcel's time stops its watch (`parcel-moved`).
 */
export const logistics = defineJourney({
  id: "logistics",
  configKey: "logistics",
  settings,
  templates: TEMPLATES,
  triggers: [
    { kind: "order-event", event: "parcel.exception", stage: "exception" },
    { kind: "order-event", event: "parcel.rejected", stage: "rejected" },
    { kind: "order-event", event: "parcel.returned", stage: "returned" },
    {
      kind: "order-event",
      event: "order.shipped",
      stage: "stalled",
      when: (settings) => settings.watchStalled,
    },
  ],
  stops: [
    {
      events: [
        "parcel.arrived_city",
        "parcel.out_for_delivery",
        "parcel.delivered",
        "parcel.exception",
        "parcel.rejected",
        "parcel.returned",
      ],
      stage: "stalled",
      reason: "parcel-moved",
    },
  ],
  attribution: "none",
  steps: Object.values(STAGES).flatMap(({ handoff, notice }) => (notice ? [handoff, notice] : [handoff])),
  subjectId: (state) => state.orderId ?? "-",

  plan(context) {
    const stage = stageOf(context);
    const step = firstUndecided(context, stepsOf(context, stage));
    if (!step) return { kind: "done" };
    const due = troubleAt(context, stage);
    if (step === STAGES[stage].handoff) {
      // Customer service hears of it at once; only the message to the customer keeps to the window.
      const sendAt = due < context.now ? context.now : due;
      return { kind: "wait", step, sendAt: sendAt.toISOString() };
    }
    return waitToSend(context, step, due, "notice");
  },

  check(context, step) {
    const stage = stageOf(context);
    const guards = [unknownOrder, cancelled, refundedInFull, ...(stage === "stalled" ? [parcelMoved] : [])];
    if (step === STAGES[stage].handoff) {
      const verdict = sendUnless(context, step, [...guards, noPhone]);
      return verdict instanceof Promise || verdict.kind !== "send"
        ? verdict
        : { kind: "handoff", step, reason: HANDOFF_REASONS[stage] };
    }
    return sendUnless(context, step, [...guards, giftOrder, unreachable]);
  },

  template(context, step) {
    const stage = stageOf(context);
    return step === STAGES[stage].handoff ? HANDOFF : stage;
  },

  content: (context) => ({ variables: parcelVariables(context) }),

  handoff(context) {
    const stage = stageOf(context);
    const { carrier, trackingNo } = parcelVariables(context);
    const reason = stage === "exception" ? (context.order?.parcelExceptionReason ?? "") : "";
    return {
      summary: `logistics: ${HANDOFF_REASONS[stage]} on order ${context.order?.orderId ?? "-"} (${carrier} ${trackingNo})${reason ? `: ${reason}` : ""}`,
      details: { carrier: carrier ?? "", trackingNo: trackingNo ?? "", reason },
    };
  },
});
