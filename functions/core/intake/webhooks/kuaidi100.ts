import type { ShopEvent, ShopEventType } from "../events.js";
import { objectAt, parseJson, toShopEvent, WebhookPayloadError } from "./payload.js";

/**
 * Kuaidi100 (快递100) tracking push: a form POST with `param` (JSON) and `sign`. `lastResult.state` is the
 * parcel's state; with `resultv2=4` subscriptions it carries the finer states (1001 到达派件城市, 501 投柜或驿站,
 * 301–304 kinds of 签收, 2xx kinds of 疑难). Trouble (疑难, 拒签, 退签, 退回) is mapped by `troubleOf`.
 */
const STATE_EVENTS: Readonly<Record<string, ShopEventType>> = {
  "1001": "parcel.arrived_city",
  "5": "parcel.out_for_delivery",
  "501": "parcel.out_for_delivery",
  "3": "parcel.delivered",
  "301": "parcel.delivered",
  "302": "parcel.delivered",
  "303": "parcel.delivered",
  "304": "parcel.delivered",
};

/** What Kuaidi100 expects back; anything but `result: true` makes it push again (3 times, 30 min apart). */
export function kuaidi100Answer(accepted: boolean, returnCode: string, message: string) {
  return { result: accepted, returnCode, message };
}

/** The tracking push decoded: tracking number, carrier code, the newest state and when it happened. */
export interface Kuaidi100Push {
  readonly trackingNo: string;
  readonly carrier: string | undefined;
  readonly state: string;
  /** The newest checkpoint's time; none on a push that gave up before any (`abort`, 3天查询无记录). */
  readonly at: string | undefined;
  /** The subscription's status: `polling`, `shutdown` (finished), `abort` (Kuaidi100 gave up), `updateall`. */
  readonly status?: string;
  /** Why, with `abort`: 3天查询无记录, 60天无变化. */
  readonly message?: string;
}

/** Kuaidi100 times are China local time without an offset: `2012-08-28 16:33:19`. */
function chinaTime(value: unknown, field: string): string {
  const match = typeof value === "string" && /^(\d{4}-\d\d-\d\d) (\d\d:\d\d(:\d\d)?)$/.exec(value.trim());
  if (!match) throw new WebhookPayloadError(field, 'expected a time like "2012-08-28 16:33:19"');
  return `${match[1]}T${match[3] ? match[2] : `${match[2]}:00`}+08:00`;
}

/**
 * Decodes the `param` field.
 * @throws {WebhookPayloadError} naming the field (e.g. `param.lastResult.nu`)
 */
export function decodeKuaidi100(param: string): Kuaidi100Push {
  const body = objectAt(parseJson(param), "param");
  const last = objectAt(body.lastResult, "param.lastResult");
  const trackingNo = typeof last.nu === "string" && last.nu.trim() !== "" ? last.nu.trim() : undefined;
  if (!trackingNo || trackingNo.length > 64) {
    throw new WebhookPayloadError(
      "param.lastResult.nu",
      "expected the tracking number (at most 64 characters)",
    );
  }
  const state =
    typeof last.state === "string" || typeof last.state === "number" ? String(last.state) : undefined;
  if (state === undefined)
    throw new WebhookPayloadError("param.lastResult.state", "expected the parcel state");
  const data = Array.isArray(last.data) ? (last.data as Record<string, unknown>[]) : [];
  const newest = data[0];
  const status = typeof body.status === "string" ? body.status : undefined;
  const message = typeof body.message === "string" ? body.message.slice(0, 200) : undefined;
  // A parcel Kuaidi100 gave up on may have no checkpoint at all (3天查询无记录).
  if (!newest && status !== "abort")
    throw new WebhookPayloadError("param.lastResult.data", "expected at least one tracking entry");
  return {
    trackingNo,
    carrier: typeof last.com === "string" ? last.com : undefined,
    state,
    at: newest ? chinaTime(newest.ftime ?? newest.time, "param.lastResult.data.0.ftime") : undefined,
    ...(status ? { status } : {}),
    ...(message ? { message } : {}),
  };
}

/**
 * A parcel in trouble, by state: 2 疑难 and its 2xx sub-states (a stuck, lost, damaged or mis-sorted
 * parcel) are an exception, the sub-state its reason; 14 拒签 and 203 拒收 a refusal; 4 退签 and 6 退回,
 * with their 4xx / 6xx sub-states, a return.
 */
function troubleOf(state: string): { type: ShopEventType; reason?: string } | undefined {
  if (state === "14" || state === "203") return { type: "parcel.rejected" };
  if (state === "2") return { type: "parcel.exception" };
  if (/^2\d\d$/.test(state)) return { type: "parcel.exception", reason: state };
  if (/^[46](\d\d)?$/.test(state)) return { type: "parcel.returned" };
  return undefined;
}

/**
 * The generic event a push means for `orderId`, or none for states the journeys do not answer. A push saying
 * Kuaidi100 gave up (`status: "abort"`) is `parcel.tracking_aborted` at `now`, whatever its state.
 */
export function kuaidi100ToEvents(
  push: Kuaidi100Push,
  orderId: string,
  now = new Date(),
  /** The subscription round the callback URL names (shopcare's own subscriptions). */
  round?: number,
): ShopEvent[] {
  if (push.status === "abort")
    return [
      toShopEvent({
        type: "parcel.tracking_aborted",
        at: now.toISOString(),
        orderId,
        trackingNo: push.trackingNo,
        round: round ?? 0,
        ...(push.message ? { message: push.message } : {}),
      }),
    ];
  if (push.at === undefined) return [];
  const type = STATE_EVENTS[push.state];
  if (type) return [toShopEvent({ type, at: push.at, orderId })];
  const trouble = troubleOf(push.state);
  return trouble ? [toShopEvent({ ...trouble, at: push.at, orderId })] : [];
}
