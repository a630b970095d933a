import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { aliyunTemplatesOf } from "../../core/config/aliyun-templates.js";
import type { ShopConfig } from "../../core/config/config.js";
import { type CheckResult, fail, jsonSecret, ok, warn } from "./doctor-results.js";

/**
 * An Aliyun shop's account as doctor checks it with the stack's own AccessKey (the `AliyunAccessKey`
 * secret): the secret's fields, and every template code the config sends with approved at Aliyun
 * (`GetSmsTemplate`: 0 审核中, 1 通过, 2 未通过) and the signature (`GetSmsSign`).
 */

const SHAPE = '{"accessKeyId":"…","accessKeySecret":"…","inboundToken":"…"}';
const putSecretFix = (arn: string) =>
  `aws secretsmanager put-secret-value --secret-id '${arn}' --secret-string '${SHAPE}'`;

/** The Aliyun secret holds the AccessKey and the inbound token; with them, the templates' reviews. */
export async function aliyunChecks(
  secrets: SecretsManagerClient,
  arn: string,
  config: ShopConfig | undefined,
): Promise<CheckResult[]> {
  const secret = await jsonSecret(secrets, arn);
  if ("problem" in secret)
    return [fail("aliyun-secret", `the Aliyun secret ${secret.problem}`, putSecretFix(arn))];
  const { fields } = secret;
  const missing = ["accessKeyId", "accessKeySecret", "inboundToken"].filter(
    (field) => typeof fields[field] !== "string" || fields[field] === "",
  );
  if (missing.length > 0)
    return [
      fail(
        "aliyun-secret",
        `the Aliyun secret lacks ${missing.join(", ")}: nothing can be sent${missing.includes("inboundToken") ? " and replies are refused" : ""}`,
        `${putSecretFix(arn)}  (a RAM user's AccessKey with AliyunDysmsFullAccess; keep the generated inboundToken)`,
      ),
    ];
  const results = [ok("aliyun-secret", "Aliyun AccessKey and inbound token set")];
  if (!config) return results;
  const { AliyunRpc } = await import("../../providers/aliyun-rpc.js");
  const rpc = new AliyunRpc({
    accessKeyId: fields.accessKeyId as string,
    accessKeySecret: fields.accessKeySecret as string,
  });
  return [...results, await templatesCheck(rpc, config)];
}

/** Every template code the config sends with, approved. */
async function templatesCheck(
  rpc: import("../../providers/aliyun-rpc.js").AliyunRpc,
  config: ShopConfig,
): Promise<CheckResult> {
  const fix =
    "npx shopcare connect aliyun --wait (and --submit for what has no code); edit a rejected template and submit it again";
  const pending: string[] = [];
  const rejected: string[] = [];
  for (const template of aliyunTemplatesOf(config)) {
    const code = config.sms.aliyun.templateCodes[template.key] as string;
    const answer = await rpc
      .call<{ TemplateStatus?: string; AuditInfo?: { RejectInfo?: string } }>("GetSmsTemplate", {
        TemplateCode: code,
      })
      .catch((error: Error) => ({ TemplateStatus: "error", AuditInfo: { RejectInfo: error.message } }));
    if (answer.TemplateStatus === "0") pending.push(`${template.key} (${code})`);
    else if (answer.TemplateStatus !== "1")
      rejected.push(
        `${template.key} (${code}): ${answer.AuditInfo?.RejectInfo ?? `status ${answer.TemplateStatus}`}`,
      );
  }
  if (rejected.length > 0)
    return fail("aliyun-templates", `not approved at Aliyun, so never sent: ${rejected.join("; ")}`, fix);
  if (pending.length > 0)
    return warn("aliyun-templates", `still in review at Aliyun: ${pending.join(", ")}`, fix);
  return ok("aliyun-templates", "every template the config sends is approved at Aliyun");
}
