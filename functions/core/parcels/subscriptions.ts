import type { OperatorChannel } from "../config/messaging.js";
import type { Clock } from "../shared/clock.js";
import type { OrderRecord } from "../shared/model.js";
import { kuaidi100Company } from "./companies.js";

/**
 * Every shipped parcel subscribed with Kuaidi100 (快递100), which pushes a parcel's progress only for the
 * numbers someone subscribed through its `poll` API ("快递信息推送服务": 订阅接口, one call per number). Dispatch
 * files a subscription when an order ships and queues its first try; the tracking function — off the
 * ingest path, with the Kuaidi100 secret's read grant — makes the call. `200` and `501` (already
 * subscribed) are done; any other answer, or none, is tried again with backoff and after
 * `kuaidi100.subscribeRetries` tries handed to the operators (`tracking-not-subscribed`). A push saying
 * Kuaidi100 gave up (`status: "abort"`: 3天查询无记录, 60天无变化) subscribes again 30 minutes later (its
 * documentation: resubmit half an hour after abort or shutdown), at most twice, then hands off
 * `tracking-lost`. Each try is leased by a conditional write, so redelivered tasks and replayed events
 * never call twice.
 */

/** Kuaidi100's subscription endpoint ("订阅请求地址"). */
export const KUAIDI100_POLL_URL = "https://poll.kuaidi100.com/poll";

/** Resubscriptions after an abort before the operators are told. */
export const MAX_RESUBSCRIPTIONS = 2;

/** The wait before a resubscription (its documentation: 隔半小时再提交订阅). */
export const RESUBSCRIBE_AFTER_MS = 30 * 60_000;

/** The longest a queued task can wait (SQS `DelaySeconds` at most 900): a longer wait is queued again. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** One try of one subscription round, as it travels on the tracking queue. */
export interface TrackingTask {
  readonly orderId: string;
  readonly trackingNo: string;
  /** The round: 0 the first subscription, 1 and 2 the resubscriptions after an abort. */
  readonly round: number;
  /** Tries made in this round before this one. */
  readonly attempt: number;
  /** Not before this instant (ISO): a resubscription's half hour. */
  readonly notBefore?: string;
}

/** A subscription as the store keeps it. */
export interface ParcelSubscription {
  readonly orderId: string;
  readonly trackingNo: string;
  readonly status: "pending" | "subscribed" | "handed-off" | "lost" | "not-configured";
  readonly round: number;
  /** Tries made in this round. */
  readonly attempts: number;
  /** Kuaidi100's latest answer: its `returnCode` and `message`. */
  readonly returnCode?: string;
  readonly message?: string;
  readonly updatedAt: string;
  /** When the round's latest try was taken. */
  readonly leasedAt?: string;
}

/**
 * One day's shipped parcels (the UTC day they were filed) and how their first round came out, counted as
 * each subscription settles: what `shopcare doctor` reads for the share subscribed, without a Scan.
 */
export interface SubscriptionTally {
  readonly day: string;
  readonly filed: number;
  readonly subscribed: number;
  readonly handedOff: number;
  readonly notConfigured: number;
  /** Subscribed, then given up by Kuaidi100 after every resubscription. */
  readonly lost: number;
}

/** Where subscriptions are kept: each try leased by a conditional write. */
export interface ParcelSubscriptions {
  /** Files the first round of an order's parcel. @returns false when it was filed before (a replay) */
  fileParcelSubscription(orderId: string, trackingNo: string, at: string): Promise<boolean>;
  getParcelSubscription(orderId: string, trackingNo: string): Promise<ParcelSubscription | undefined>;
  /** Takes try `attempt` of `round` while the subscription is pending. @returns false when taken or moved on */
  leaseSubscriptionTry(
    orderId: string,
    trackingNo: string,
    try_: { readonly round: number; readonly attempt: number },
    at: string,
  ): Promise<boolean>;
  /** Opens round `round` (after an abort) if the subscription is still in round `round - 1`. */
  openSubscriptionRound(orderId: string, trackingNo: string, round: number, at: string): Promise<boolean>;
  settleParcelSubscription(
    orderId: string,
    trackingNo: string,
    outcome: Pick<ParcelSubscription, "status"> & { returnCode?: string; message?: string },
    at: string,
  ): Promise<void>;
}

/** Where tracking tasks wait: SQS on AWS, an in-process queue locally. */
export interface TrackingQueue {
  enqueue(task: TrackingTask, delaySeconds: number): Promise<void>;
}

/** The Kuaidi100 account's subscription credentials and the salt its pushes are signed with. */
export interface Kuaidi100Account {
  readonly key: string;
  readonly customer: string;
  readonly salt: string;
}

/** Kuaidi100's answer to a subscription: `{result, returnCode, message}`. */
export interface PollAnswer {
  readonly returnCode: string;
  readonly message: string;
}

/** Kuaidi100's `poll` API: one form POST (`schema`, `param`). @throws when nothing usable came back */
export interface ParcelPoll {
  subscribe(form: { readonly schema: "json"; readonly param: string }): Promise<PollAnswer>;
}

/** The `param` of a subscription ("订阅输入参数"): JSON of company, number, key and parameters. */
export function subscriptionParam(
  account: Kuaidi100Account,
  parcel: { readonly carrier?: string; readonly trackingNo: string; readonly phone?: string },
  callbackUrl: string,
): string {
  const company = kuaidi100Company(parcel.carrier);
  // SF Express needs the receiver's or sender's number; its last 4 digits do, and tell Kuaidi100 less.
  const phone =
    parcel.phone && (company === "shunfeng" || company === undefined) ? parcel.phone.slice(-4) : undefined;
  return JSON.stringify({
    company: company ?? "",
    number: parcel.trackingNo,
    key: account.key,
    parameters: {
      callbackurl: callbackUrl,
      salt: account.salt,
      resultv2: "4",
      ...(phone ? { phone } : {}),
      ...(company === undefined ? { autoCom: "1" } : {}),
    },
  });
}

/** The wait before try `attempt + 1`: 1 minute doubling, at most 15. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, 60 * 2 ** attempt);
}

/** What the tracking function needs. */
export interface TrackingDeps {
  readonly store: ParcelSubscriptions & {
    getOrder(orderId: string): Promise<OrderRecord | undefined>;
    getCustomer(customerId: string): Promise<{ readonly phone?: string } | undefined>;
  };
  readonly queue: TrackingQueue;
  readonly poll: ParcelPoll;
  readonly operators: OperatorChannel;
  readonly clock: Clock;
  readonly subscribeRetries: number;
  /** The account, or undefined while the secret holds no key and customer (nothing is subscribed then). */
  account(): Promise<Kuaidi100Account | undefined>;
  /** Shown what would be sent while there is no account (`npm start` prints it). @default nothing */
  preview?(form: { readonly schema: "json"; readonly param: string }): void;
  /** The callback URL of an order: the stack's `/webhooks/kuaidi100` with the order id, its token, the round. */
  callbackUrl(orderId: string, salt: string, round: number): string;
}

/** What one task came to. */
export type TrackingOutcome =
  | "subscribed"
  | "retry"
  | "handed-off"
  | "waiting"
  | "not-configured"
  | "skipped";

/** Makes one try of a subscription (the tracking function, per queued task). */
export async function subscribeParcel(deps: TrackingDeps, task: TrackingTask): Promise<TrackingOutcome> {
  const { store, clock } = deps;
  const now = clock.now();
  if (task.notBefore && Date.parse(task.notBefore) > now.getTime()) {
    const seconds = Math.ceil((Date.parse(task.notBefore) - now.getTime()) / 1000);
    await deps.queue.enqueue(task, Math.min(MAX_QUEUE_DELAY_SECONDS, seconds));
    return "waiting";
  }
  // A redelivered task, or a replayed event's, finds its try taken: only one ever calls.
  if (!(await store.leaseSubscriptionTry(task.orderId, task.trackingNo, task, iso(now))))
    return takenBefore(deps, task, now);
  const order = await store.getOrder(task.orderId);
  const phone = order?.customerId ? (await store.getCustomer(order.customerId))?.phone : undefined;
  const parcel = { carrier: order?.carrier, trackingNo: task.trackingNo, phone };
  const account = await deps.account();
  if (!account) {
    const placeholder = { key: "<key>", customer: "<customer>", salt: "<salt>" };
    const preview = subscriptionParam(placeholder, parcel, deps.callbackUrl(task.orderId, "", task.round));
    deps.preview?.({ schema: "json", param: preview });
    await store.settleParcelSubscription(
      task.orderId,
      task.trackingNo,
      { status: "not-configured" },
      iso(now),
    );
    return "not-configured";
  }
  const param = subscriptionParam(account, parcel, deps.callbackUrl(task.orderId, account.salt, task.round));
  const answer = await deps.poll
    .subscribe({ schema: "json", param })
    .catch((error: unknown): PollAnswer => ({ returnCode: "no-answer", message: String(error) }));
  const at = iso(clock.now());
  if (answer.returnCode === "200" || answer.returnCode === "501") {
    await store.settleParcelSubscription(
      task.orderId,
      task.trackingNo,
      { status: "subscribed", ...answer },
      at,
    );
    return "subscribed";
  }
  if (task.attempt + 1 < deps.subscribeRetries) {
    await deps.queue.enqueue({ ...task, attempt: task.attempt + 1 }, retryDelaySeconds(task.attempt));
    return "retry";
  }
  await store.settleParcelSubscription(
    task.orderId,
    task.trackingNo,
    { status: "handed-off", ...answer },
    at,
  );
  await deps.operators.notify({
    journey: "tracking",
    step: "subscribe",
    orderId: task.orderId,
    customerId: order?.customerId ?? "",
    reason: "tracking-not-subscribed",
    summary: `Kuaidi100 did not take tracking number ${task.trackingNo} after ${task.attempt + 1} tries: ${answer.returnCode} ${answer.message}`,
    details: { trackingNo: task.trackingNo, returnCode: answer.returnCode, message: answer.message },
  });
  return "handed-off";
}

/** How long a taken try may go unanswered before it counts as failed (its worker died mid-call). */
const TRY_LEASE_MS = 5 * 60_000;

/**
 * Thrown for a try another delivery holds the lease of: the queue delivers it again later (SQS after its
 * visibility timeout), by when the holder has finished — or has died, and the try is counted failed.
 */
export class TryInFlightError extends Error {
  constructor(task: TrackingTask) {
    super(`try ${task.attempt} of round ${task.round} of ${task.orderId}/${task.trackingNo} is under way`);
    this.name = "TryInFlightError";
  }
}

/**
 * A try found taken: the subscription moved on (nothing to do); a worker still at it, or one that failed
 * after taking it and whose task is delivered again (it is tried again later, `TryInFlightError`); or one
 * that died mid-call long enough ago — then it counts as a failed try and the next is queued, so neither
 * a crash nor a failed write loses a subscription.
 */
async function takenBefore(deps: TrackingDeps, task: TrackingTask, now: Date): Promise<TrackingOutcome> {
  const current = await deps.store.getParcelSubscription(task.orderId, task.trackingNo);
  const ours =
    current?.status === "pending" && current.round === task.round && current.attempts === task.attempt + 1;
  if (!ours) return "skipped";
  if (now.getTime() - Date.parse(current.leasedAt ?? current.updatedAt) <= TRY_LEASE_MS)
    throw new TryInFlightError(task);
  await deps.queue.enqueue({ ...task, attempt: task.attempt + 1 }, 0);
  return "retry";
}

/** Files an order's parcel and queues its first try, once per order and number. */
export async function fileSubscription(
  deps: { readonly store: ParcelSubscriptions; readonly queue: TrackingQueue },
  orderId: string,
  trackingNo: string,
  at: string,
): Promise<void> {
  const filed = await deps.store.fileParcelSubscription(orderId, trackingNo, at);
  const existing = filed ? undefined : await deps.store.getParcelSubscription(orderId, trackingNo);
  // Filed by a delivery that failed before it queued the try: queued now (the try's lease keeps it single).
  if (filed || (existing?.status === "pending" && existing.round === 0 && existing.attempts === 0))
    await deps.queue.enqueue({ orderId, trackingNo, round: 0, attempt: 0 }, 0);
}

/**
 * Kuaidi100 gave up on a parcel (`status: "abort"`): a new round half an hour on, or after
 * {@link MAX_RESUBSCRIPTIONS} of them the operators told (`tracking-lost`).
 */
export async function resubscribeAborted(
  deps: {
    readonly store: ParcelSubscriptions;
    readonly queue: TrackingQueue;
    readonly operators?: OperatorChannel;
  },
  parcel: {
    readonly orderId: string;
    readonly trackingNo: string;
    readonly customerId?: string;
    /** The round the push gave up on. */
    readonly round: number;
  },
  message: string,
  at: string,
): Promise<void> {
  const { orderId, trackingNo } = parcel;
  const current = await deps.store.getParcelSubscription(orderId, trackingNo);
  // A round that is over (a late or replayed push) changes nothing.
  if (
    !current ||
    current.status === "lost" ||
    current.status === "handed-off" ||
    current.round !== parcel.round
  )
    return;
  if (current.round >= MAX_RESUBSCRIPTIONS) {
    await deps.store.settleParcelSubscription(orderId, trackingNo, { status: "lost", message }, at);
    await deps.operators?.notify({
      journey: "tracking",
      step: "subscribe",
      orderId,
      customerId: parcel.customerId ?? "",
      reason: "tracking-lost",
      summary: `Kuaidi100 stopped tracking ${trackingNo} (${message}) after ${MAX_RESUBSCRIPTIONS} resubscriptions`,
      details: { trackingNo, message },
    });
    return;
  }
  if (!(await deps.store.openSubscriptionRound(orderId, trackingNo, current.round + 1, at))) return;
  const notBefore = new Date(Date.parse(at) + RESUBSCRIBE_AFTER_MS).toISOString();
  await deps.queue.enqueue(
    { orderId, trackingNo, round: current.round + 1, attempt: 0, notBefore },
    MAX_QUEUE_DELAY_SECONDS,
  );
}

const iso = (date: Date) => date.toISOString();
