import { KUAIDI100_POLL_URL, type ParcelPoll, type PollAnswer } from "../core/parcels/subscriptions.js";

/** How long a subscription call may take before it counts as unanswered (and is tried again later). */
const TIMEOUT_MS = 10_000;

/**
 * Kuaidi100's subscription API over HTTP ("快递信息推送服务 — 订阅接口"): a form POST of `schema` and `param`
 * to `https://poll.kuaidi100.com/poll` (`SHOPCARE_KUAIDI100_URL` overrides it: tests, proxies), answered
 * `{"result": true, "returnCode": "200", "message": "提交成功"}` — or 501 (重复订阅), 500, 600, 601, 700, 701, 702.
 * @throws when nothing usable came back (a timeout, a connection refused, a body that is not the answer)
 */
export class HttpParcelPoll implements ParcelPoll {
  constructor(
    private readonly url: string = process.env.SHOPCARE_KUAIDI100_URL || KUAIDI100_POLL_URL,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  async subscribe(form: { readonly schema: "json"; readonly param: string }): Promise<PollAnswer> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let body: { returnCode?: unknown; message?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`Kuaidi100 answered ${response.status} without its JSON answer: ${text.slice(0, 200)}`);
    }
    if (body.returnCode === undefined)
      throw new Error(`Kuaidi100 answered ${response.status} without a returnCode`);
    return { returnCode: String(body.returnCode), message: String(body.message ?? "") };
  }
}
