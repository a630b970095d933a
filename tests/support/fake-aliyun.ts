import type { IncomingMessage, ServerResponse } from "node:http";
import { aliyunSignature } from "../../functions/providers/aliyun.js";
import { LoopbackFake } from "./loopback.js";

/**
 * Alibaba Cloud SMS's template and signature API (Dysmsapi 2017-05-25) on a real HTTP server: each request
 * checked as Aliyun checks it — a form POST, `Version` 2017-05-25, `Format` JSON, signature method V1
 * (HMAC-SHA1 over the sorted, encoded parameters, the AccessKey secret plus `&`), a fresh
 * `SignatureNonce` — and answered in the API's shape: `CreateSmsTemplate` (name at most 30 characters,
 * content at most 500 with `${var}` placeholders, a `TemplateRule` for every variable, `RelatedSignName`
 * and `Remark`; at most `dailyLimit` a day and `minGapMs` apart, else `isv.BUSINESS_LIMIT_CONTROL`),
 * `QuerySmsTemplateList` (paged; `AuditStatus` AUDIT_STATE_INIT / PASS / NOT_PASS), `GetSmsTemplate`
 * (`TemplateStatus` 0 审核中 → 1 通过 at the next look, or 2 未通过 with `AuditInfo.RejectInfo` for a text
 * containing `rejectWhen`) and `GetSmsSign`.
 */

/**
 * The variable properties `TemplateRule` takes ("TemplateRule&TemplateContent参数填写示例",
 * help.aliyun.com/document_detail/2806243, and the console's 变量属性 list).
 */
const VARIABLE_PROPERTIES = new Set([
  "numberCaptcha",
  "characterWithNumber2",
  "phone_number2",
  "time",
  "money",
  "user_nick",
  "name",
  "unit_name",
  "address",
  "license_plate_number",
  "tracking_number",
  "pick_up_code",
  "other_number2",
  "link_param",
  "email_address",
  "others",
]);

interface FakeTemplate {
  code: string;
  name: string;
  content: string;
  type: string;
  status: "0" | "1" | "2";
  looks: number;
}

const AUDIT: Record<FakeTemplate["status"], string> = {
  "0": "AUDIT_STATE_INIT",
  "1": "AUDIT_STATE_PASS",
  "2": "AUDIT_STATE_NOT_PASS",
};

export class FakeAliyunSms extends LoopbackFake {
  readonly templates: FakeTemplate[] = [];
  /** Every request's action. */
  readonly actions: string[] = [];
  /** Submissions taken today. */
  submittedToday = 0;
  dailyLimit = 100;
  minGapMs = 0;
  /** A text containing this is rejected at review. */
  rejectWhen = "\u0000";
  readonly signatures = new Set<string>();
  private lastSubmission = 0;
  private readonly nonces = new Set<string>();

  constructor(
    readonly accessKeyId: string,
    readonly accessKeySecret: string,
  ) {
    super();
  }

  protected handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    const params = Object.fromEntries(new URLSearchParams(body));
    const answer = this.route(request, params);
    response.writeHead(answer.Code === "OK" ? 200 : 400, { "content-type": "application/json" });
    response.end(JSON.stringify({ RequestId: `req-${this.actions.length}`, ...answer }));
  }

  private route(request: IncomingMessage, params: Record<string, string>): Record<string, unknown> {
    const fail = (Code: string, Message: string) => ({ Code, Message });
    const { Signature, ...signed } = params;
    if (request.method !== "POST") return fail("MissingParameter", "POST expected");
    if (signed.Version !== "2017-05-25" || signed.Format !== "JSON")
      return fail("InvalidVersion", "Version or Format");
    if (signed.AccessKeyId !== this.accessKeyId)
      return fail("InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    if (signed.SignatureMethod !== "HMAC-SHA1" || signed.SignatureVersion !== "1.0" || !signed.Timestamp)
      return fail("IncompleteSignature", "The request signature does not conform to Aliyun standards.");
    if (Signature !== aliyunSignature("POST", signed, this.accessKeySecret))
      return fail("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
    if (!signed.SignatureNonce || this.nonces.has(signed.SignatureNonce))
      return fail("SignatureNonceUsed", "Specified signature nonce was used already.");
    this.nonces.add(signed.SignatureNonce);
    this.actions.push(String(signed.Action));
    switch (signed.Action) {
      case "CreateSmsTemplate":
        return this.create(signed);
      case "QuerySmsTemplateList": {
        const size = Number(signed.PageSize ?? 10);
        const start = (Number(signed.PageIndex ?? 1) - 1) * size;
        return {
          Code: "OK",
          TotalCount: this.templates.length,
          SmsTemplateList: this.templates.slice(start, start + size).map((template) => ({
            TemplateCode: template.code,
            TemplateName: template.name,
            TemplateContent: template.content,
            AuditStatus: AUDIT[template.status],
            ...(template.status === "2" ? { Reason: { RejectInfo: "模板内容不符合规范" } } : {}),
          })),
        };
      }
      case "GetSmsTemplate": {
        const template = this.templates.find((each) => each.code === signed.TemplateCode);
        if (!template) return fail("isv.SMS_TEMPLATE_ILLEGAL", "template not found");
        template.looks += 1;
        if (template.status === "0" && template.looks > 1)
          template.status = template.content.includes(this.rejectWhen) ? "2" : "1";
        return {
          Code: "OK",
          TemplateCode: template.code,
          TemplateStatus: template.status,
          ...(template.status === "2" ? { AuditInfo: { RejectInfo: "模板内容不符合规范" } } : {}),
        };
      }
      case "GetSmsSign":
        return this.signatures.has(signed.SignName ?? "")
          ? { Code: "OK", SignName: signed.SignName, SignStatus: 1 }
          : fail("isv.SMS_SIGN_ILLEGAL", "signature not found");
      default:
        return fail("InvalidAction.NotFound", `Specified api is not found: ${signed.Action}`);
    }
  }

  private create(params: Record<string, string>): Record<string, unknown> {
    const fail = (Code: string, Message: string) => ({ Code, Message });
    const now = Date.now();
    if (this.submittedToday >= this.dailyLimit || now - this.lastSubmission < this.minGapMs)
      return fail("isv.BUSINESS_LIMIT_CONTROL", "触发业务流控");
    const { TemplateName: name = "", TemplateContent: content = "", TemplateType: type = "" } = params;
    if (name === "" || name.length > 30) return fail("isv.INVALID_PARAMETERS", "TemplateName");
    if (content === "" || content.length > 500) return fail("isv.INVALID_PARAMETERS", "TemplateContent");
    if (!["0", "1", "2", "3"].includes(type)) return fail("isv.INVALID_PARAMETERS", "TemplateType");
    if (type !== "3" && !params.RelatedSignName) return fail("isv.INVALID_PARAMETERS", "RelatedSignName");
    if (!params.Remark) return fail("isv.INVALID_PARAMETERS", "Remark");
    if (/(^|[^$])\{\w+\}/.test(content))
      return fail("isv.INVALID_PARAMETERS", "variables are written as $ and the name in braces");
    const variables = [...content.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] as string);
    const rules = params.TemplateRule ? (JSON.parse(params.TemplateRule) as Record<string, string>) : {};
    const unruled = variables.filter((variable) => !rules[variable]);
    if (unruled.length > 0) return fail("isv.INVALID_PARAMETERS", `TemplateRule lacks ${unruled.join(", ")}`);
    const unknown = Object.entries(rules).filter(([, property]) => !VARIABLE_PROPERTIES.has(property));
    if (unknown.length > 0)
      return fail(
        "isv.INVALID_PARAMETERS",
        `TemplateRule: no variable property ${unknown.map(([, p]) => p).join(", ")}`,
      );
    // 链接规范: the link's domain is fixed text; only its parameter may vary, right after it.
    const links = Object.entries(rules).filter(([, property]) => property === "link_param");
    for (const [variable] of links)
      if (!new RegExp(`https?://[^\\s$]+/\\$\\{${variable}\\}`).test(content))
        return fail("isv.INVALID_PARAMETERS", `${variable}: a link parameter follows the link's fixed part`);
    if (this.templates.some((template) => template.name === name))
      return fail("isv.INVALID_PARAMETERS", "TemplateName exists");
    this.lastSubmission = now;
    this.submittedToday += 1;
    const code = `SMS_${460_000_000 + this.templates.length}`;
    this.templates.push({ code, name, content, type, status: "0", looks: 0 });
    return { Code: "OK", TemplateCode: code, TemplateName: name, OrderId: `order-${code}` };
  }
}
