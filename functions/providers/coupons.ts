import { CouponIssueError, type CouponIssuer } from "../core/engine/decide.js";

/**
 * Issues coupons through the shop's own endpoint: `POST url` with `{journey, customerId, amount}` and
 * the step's ledger key as `idempotency-key`, answered by `{"coupon": "<code or link>"}`. Any failure is a
 * {@link CouponIssueError}: the state machine retries it, then skips the step as `coupon-unavailable`.
 */
export class HttpCouponIssuer implements CouponIssuer {
  constructor(private readonly timeoutMs = 5000) {}

  async issue(request: {
    url: string;
    journey: string;
    customerId: string;
    amount: number;
    idempotencyKey: string;
  }): Promise<string> {
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          // One coupon per step, however often it is retried; each step (and each cycle) its own.
          "idempotency-key": request.idempotencyKey,
        },
        body: JSON.stringify({
          journey: request.journey,
          customerId: request.customerId,
          amount: request.amount,
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new CouponIssueError(`coupon endpoint unreachable: ${(error as Error).message}`);
    }
    if (!response.ok) throw new CouponIssueError(`coupon endpoint answered HTTP ${response.status}`);
    const answer = (await response.json().catch(() => ({}))) as { coupon?: unknown };
    if (typeof answer.coupon !== "string" || answer.coupon === "")
      throw new CouponIssueError('coupon endpoint answered without a "coupon" string');
    return answer.coupon;
  }
}
