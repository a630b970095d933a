import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackFake } from "./loopback.js";

/**
 * Kuaidi100's subscription API (`POST https://poll.kuaidi100.com/poll`, "快递信息推送服务 — 订阅接口") on a real
 * HTTP server: each request checked as Kuaidi100 documents it — a form (`application/x-www-form-urlencoded`)
 * of `schema=json` and `param`, the param's JSON with `company` (a known lower-case code, or empty with
 * `parameters.autoCom: "1"`), `number` (at most 32 characters), the account's `key`, and `parameters` with an
 * http(s) `callbackurl`, the `salt` and `resultv2`; SF Express (`shunfeng`) needs `phone`. A malformed one is
 * answered 700 as Kuaidi100 answers it. Answers `{result, returnCode, message}`: 200 提交成功 unless told
 * otherwise, 501 for a number already subscribed and polling, or what `answerNext` says — 500, 700, or
 * `timeout` (no answer until the client gives up).
 */

/** Company codes the fake knows (Kuaidi100's code table, a subset). */
const COMPANIES = new Set([
  "shunfeng",
  "zhongtong",
  "yuantong",
  "yunda",
  "shentong",
  "jtexpress",
  "jd",
  "ems",
  "youzhengguonei",
  "debangkuaidi",
]);

const MESSAGES: Record<string, string> = {
  "200": "提交成功",
  "500": "服务器错误",
  "501": "重复订阅",
  "600": "您不是合法的订阅者",
  "700": "订阅方的订阅数据存在错误",
};

/** One subscription request as the fake took it. */
export interface SubscribeCall {
  readonly param: {
    readonly company: string;
    readonly number: string;
    readonly key: string;
    readonly parameters: Record<string, string>;
  };
  readonly returnCode: string;
}

export class FakeKuaidi100 extends LoopbackFake {
  /** Every request, with what it was answered. */
  readonly calls: SubscribeCall[] = [];
  /** Answers for the next requests, one each: a return code, or `timeout`. */
  answerNext: string[] = [];
  /** Numbers subscribed and still polling: a second subscription is 501. */
  readonly polling = new Set<string>();

  constructor(readonly key: string) {
    super();
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    if (request.method !== "POST" || new URL(request.url ?? "/", "http://x").pathname !== "/poll") {
      response.writeHead(404).end();
      return;
    }
    const scripted = this.answerNext.shift();
    if (scripted === "timeout") {
      // Kuaidi100 never answers this one: the client gives up, the socket is closed with the fake.
      return;
    }
    const { problem, param } = this.check(request, body);
    const returnCode = problem
      ? "700"
      : (scripted ?? (this.polling.has(`${param?.company}/${param?.number}`) ? "501" : "200"));
    if (param) this.calls.push({ param, returnCode });
    if (param && returnCode === "200") this.polling.add(`${param.company}/${param.number}`);
    response.writeHead(200, { "content-type": "application/json;charset=UTF-8" });
    response.end(
      JSON.stringify({
        result: returnCode === "200",
        returnCode,
        message: problem ?? MESSAGES[returnCode] ?? "错误",
      }),
    );
  }

  private check(
    request: IncomingMessage,
    body: string,
  ): { problem?: string; param?: SubscribeCall["param"] } {
    if (!String(request.headers["content-type"]).startsWith("application/x-www-form-urlencoded"))
      return { problem: "expected a form" };
    const form = new URLSearchParams(body);
    if (form.get("schema") !== "json") return { problem: "schema must be json" };
    let param: SubscribeCall["param"];
    try {
      param = JSON.parse(form.get("param") ?? "");
    } catch {
      return { problem: "param is not JSON" };
    }
    const parameters = param.parameters ?? {};
    if (param.key !== this.key) return { param, problem: "key 不正确" };
    if (!param.number || param.number.length > 32) return { param, problem: "number 不正确" };
    if (param.company === "" ? parameters.autoCom !== "1" : !COMPANIES.has(param.company))
      return { param, problem: `company ${param.company} 不支持` };
    if (!/^https?:\/\//.test(parameters.callbackurl ?? "")) return { param, problem: "callbackurl 不正确" };
    if (!parameters.salt || !parameters.resultv2) return { param, problem: "salt and resultv2 expected" };
    if (param.company === "shunfeng" && !parameters.phone) return { param, problem: "顺丰单号需要 phone" };
    return { param };
  }
}
