import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { type AliyunTemplate, aliyunTemplatesOf } from "../../../core/config/aliyun-templates.js";
import type { ShopConfig } from "../../../core/config/config.js";
import { templateVariables } from "../../../core/config/templates.js";
import { linkUrl } from "../../../core/engine/links.js";
import { alignedColumns } from "../../../core/shared/terminal.js";
import { type AliyunRpc, AliyunRpcError } from "../../../providers/aliyun-rpc.js";

/**
 * `shopcare connect aliyun`: every template the config sends, registered with Alibaba Cloud SMS and followed
 * through review (Dysmsapi 2017-05-25: `QuerySmsTemplateList` to find what an earlier run submitted,
 * `CreateSmsTemplate` for what has no code — at most 100 a day, 30 s apart, so submissions are paced and a
 * later run resumes — `GetSmsTemplate` for the review: 0 审核中, 1 通过, 2 未通过 with the reason; `GetSmsSign`
 * for the signature). Approved codes go where the config keeps them, `sms.aliyun.templateCodes`.
 */

/** Submissions a day the API takes ("CreateSmsTemplate": up to 100 a day). */
const DAILY_SUBMISSIONS = 100;

/** A template's state at Aliyun, as `connect aliyun` prints it. */
export interface TemplateState {
  readonly key: string;
  readonly code?: string;
  readonly state: "no code" | "in review" | "approved" | "rejected" | "canceled";
  readonly reason?: string;
}

/** The name a template is registered under (at most 30 characters): its code key, shortened with a hash. */
export function aliyunTemplateName(key: string): string {
  if (key.length <= 30) return key;
  return `${key.slice(0, 23)}~${createHash("sha1").update(key).digest("hex").slice(0, 6)}`;
}

/**
 * Each variable's property (`TemplateRule`), by what it holds: Aliyun's "TemplateRule&TemplateContent参数填写示例"
 * (help.aliyun.com/document_detail/2806243: a notice's `{"username": "name", "order": "other_number2"}`, and
 * `phone_number2`, `time`, `money`, …). A customer's name is the shop's nickname for them (`user_nick`, not
 * `name`, a real name of 2–5 汉字); an order number or coupon code `other_number2`; anything else `others`.
 */
const RULES: Readonly<Record<string, string>> = {
  name: "user_nick",
  amount: "money",
  couponAmount: "money",
  orderId: "other_number2",
  trackingNo: "tracking_number",
  coupon: "other_number2",
  closeAt: "time",
  promotionEnds: "time",
  link: "link_param",
};

/**
 * The template text as Aliyun registers it: `${var}` placeholders, and the short link's fixed part written
 * out — Aliyun takes no whole link in a variable ("通知短信模板规范", 链接规范: the domain is fixed in the template,
 * only the link's parameter varies, `link_param`), so `{link}` becomes `<links.baseUrl>/l/${link}` and the
 * provider sends only the code.
 */
export function aliyunTemplateContent(config: ShopConfig, text: string): string {
  return text
    .replace(/\{link\}/g, () => linkUrl(config.links.baseUrl ?? "", `\${link}`))
    .replace(/(?<!\$)\{(\w+)\}/g, (_, name: string) => `\${${name}}`);
}

/** `CreateSmsTemplate`'s parameters for one template: `${var}` placeholders, its type, rules, signature. */
export function createTemplateParams(config: ShopConfig, template: AliyunTemplate): Record<string, string> {
  const variables = templateVariables(template.text);
  return {
    TemplateName: aliyunTemplateName(template.key),
    TemplateContent: aliyunTemplateContent(config, template.text),
    // 1 短信通知, 2 推广短信 ("CreateSmsTemplate": TemplateType).
    TemplateType: template.messageClass === "marketing" ? "2" : "1",
    RelatedSignName: config.sms.aliyun.signName ?? "",
    Remark: `${config.name}：网店订单关怀短信（${template.key}），发给在本店下单的顾客，例如订单付款、发货、到货提醒。`,
    ...(variables.length > 0
      ? {
          TemplateRule: JSON.stringify(
            Object.fromEntries(variables.map((name) => [name, RULES[name] ?? "others"])),
          ),
        }
      : {}),
  };
}

const REVIEW: Readonly<Record<string, TemplateState["state"]>> = {
  "0": "in review",
  "1": "approved",
  "2": "rejected",
  "10": "canceled",
  AUDIT_STATE_INIT: "in review",
  AUDIT_STATE_PASS: "approved",
  AUDIT_STATE_NOT_PASS: "rejected",
  AUDIT_SATE_CANCEL: "canceled",
};

type Listed = {
  TemplateCode: string;
  TemplateName: string;
  AuditStatus: string;
  Reason?: { RejectInfo?: string };
};

/** Every template the account has, by name (`QuerySmsTemplateList`, 50 a page). */
async function listedTemplates(rpc: AliyunRpc): Promise<Map<string, Listed>> {
  const byName = new Map<string, Listed>();
  for (let page = 1; ; page += 1) {
    const answer = await rpc.call<{ SmsTemplateList?: Listed[]; TotalCount?: number }>(
      "QuerySmsTemplateList",
      {
        PageIndex: String(page),
        PageSize: "50",
      },
    );
    for (const template of answer.SmsTemplateList ?? []) byName.set(template.TemplateName, template);
    if ((answer.SmsTemplateList ?? []).length < 50 || byName.size >= (answer.TotalCount ?? 0)) return byName;
  }
}

/** Submits one template: its new code, or `limited` when Aliyun's flow control refused it (try later). */
async function submit(rpc: AliyunRpc, config: ShopConfig, template: AliyunTemplate): Promise<string> {
  try {
    const created = await rpc.call<{ TemplateCode: string }>(
      "CreateSmsTemplate",
      createTemplateParams(config, template),
    );
    return created.TemplateCode;
  } catch (error) {
    if (error instanceof AliyunRpcError && error.code === "isv.BUSINESS_LIMIT_CONTROL") return "limited";
    throw error;
  }
}

/** One template's review, asked by its code (`GetSmsTemplate`). */
async function reviewOf(rpc: AliyunRpc, key: string, code: string): Promise<TemplateState> {
  const answer = await rpc.call<{ TemplateStatus?: string; AuditInfo?: { RejectInfo?: string } }>(
    "GetSmsTemplate",
    {
      TemplateCode: code,
    },
  );
  const state = REVIEW[String(answer.TemplateStatus)] ?? "in review";
  return {
    key,
    code,
    state,
    ...(answer.AuditInfo?.RejectInfo ? { reason: answer.AuditInfo.RejectInfo } : {}),
  };
}

/** What `connect aliyun` does, and how it reports. */
export interface ConnectAliyunOptions {
  readonly submit: boolean;
  readonly wait: boolean;
  /** Between two submissions. @default 30 s (`SHOPCARE_ALIYUN_PACE_MS`) */
  readonly paceMs: number;
  /** Between two review rounds. @default 60 s (`SHOPCARE_ALIYUN_POLL_MS`) */
  readonly pollMs: number;
  readonly log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each template's code and state: listed, submitted when asked, followed through review when asked. */
export async function connectAliyun(
  rpc: AliyunRpc,
  config: ShopConfig,
  options: ConnectAliyunOptions,
): Promise<TemplateState[]> {
  const listed = await listedTemplates(rpc);
  const states = new Map<string, TemplateState>();
  let submitted = 0;
  let limited = false;
  for (const template of aliyunTemplatesOf(config)) {
    const known = config.sms.aliyun.templateCodes[template.key];
    const found = listed.get(aliyunTemplateName(template.key));
    const code = known ?? found?.TemplateCode;
    if (code && found?.TemplateCode === code) {
      const reason = found.Reason?.RejectInfo;
      states.set(template.key, {
        key: template.key,
        code,
        state: REVIEW[found.AuditStatus] ?? "in review",
        ...(reason ? { reason } : {}),
      });
    } else if (code) states.set(template.key, await reviewOf(rpc, template.key, code));
    else if (options.submit && !limited && submitted < DAILY_SUBMISSIONS) {
      if (submitted > 0) await sleep(options.paceMs);
      const created = await submit(rpc, config, template);
      limited = created === "limited";
      if (!limited) {
        submitted += 1;
        options.log(`submitted ${template.key} as ${created}`);
      }
      states.set(
        template.key,
        limited
          ? { key: template.key, state: "no code" }
          : { key: template.key, code: created, state: "in review" },
      );
    } else states.set(template.key, { key: template.key, state: "no code" });
  }
  if (options.submit && (limited || submitted === DAILY_SUBMISSIONS))
    options.log(
      `submitted ${submitted}: Aliyun's flow control or daily limit (100) reached, run it again later for the rest`,
    );
  while (options.wait && [...states.values()].some((state) => state.state === "in review")) {
    await sleep(options.pollMs);
    for (const state of [...states.values()].filter((each) => each.state === "in review" && each.code))
      states.set(state.key, await reviewOf(rpc, state.key, state.code as string));
    const waiting = [...states.values()].filter((state) => state.state === "in review").length;
    options.log(`review: ${waiting} still in review`);
  }
  return [...states.values()];
}

/** The signature's review (`GetSmsSign`): 0 审核中, 1 通过, 2 未通过. */
export async function signatureState(rpc: AliyunRpc, signName: string): Promise<TemplateState> {
  const answer = await rpc.call<{ SignStatus?: number; AuditInfo?: { RejectInfo?: string } }>("GetSmsSign", {
    SignName: signName,
  });
  const state = REVIEW[String(answer.SignStatus)] ?? "in review";
  return {
    key: `signature ${signName}`,
    state,
    ...(answer.AuditInfo?.RejectInfo ? { reason: answer.AuditInfo.RejectInfo } : {}),
  };
}

/** The table `connect aliyun` prints: one line per template (and the signature). */
export function aliyunTable(states: readonly TemplateState[]): string {
  const rows = [
    ["template", "code", "state"],
    ...states.map((s) => [s.key, s.code ?? "-", s.reason ? `${s.state}: ${s.reason}` : s.state]),
  ];
  return alignedColumns(rows);
}

/**
 * Writes the approved codes where the config keeps them: `sms.aliyun.templateCodes` of the `--config` file,
 * else of `cdk.json`'s `context.shop`. @returns the codes written
 */
export async function writeApprovedCodes(
  states: readonly TemplateState[],
  path: string,
  inCdkJson: boolean,
): Promise<Record<string, string>> {
  const approved = Object.fromEntries(
    states
      .filter((state) => state.state === "approved" && state.code)
      .map((state) => [state.key, state.code as string]),
  );
  const file = JSON.parse(await readFile(path, "utf8"));
  if (inCdkJson) file.context.shop ??= {};
  const shop = inCdkJson ? file.context.shop : file;
  shop.sms ??= {};
  shop.sms.aliyun ??= {};
  shop.sms.aliyun.templateCodes = { ...shop.sms.aliyun.templateCodes, ...approved };
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
  return approved;
}
