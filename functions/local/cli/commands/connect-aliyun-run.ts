import { parseShopConfig } from "../../../core/config/config.js";
import { terminalSafe } from "../../../core/shared/terminal.js";
import { rawConfig } from "../command.js";
import { UsageError } from "../errors.js";
import { aliyunTable, connectAliyun, signatureState, writeApprovedCodes } from "./connect-aliyun.js";

/**
 * `shopcare connect aliyun [--submit] [--wait] [--write]`, with the operator's own AccessKey
 * (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, Alibaba Cloud's credential variables).
 * The config is read as written: it may lack the very codes this command registers.
 */
export async function runConnectAliyun(values: {
  submit?: boolean;
  wait?: boolean;
  write?: boolean;
  json?: boolean;
  config?: string;
}): Promise<number> {
  const accessKeyId = process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret)
    throw new UsageError(
      "connect aliyun: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (a RAM user's AccessKey with AliyunDysmsFullAccess)",
    );
  const { raw, file, inCdkJson } = await rawConfig(values.config);
  const written = (raw ?? {}) as { sms?: Record<string, unknown> };
  // Validated as if it sent through SNS: the Aliyun codes it lacks are what this command is for.
  const config = parseShopConfig({ ...written, sms: { ...written.sms, provider: "sns" } });
  const signName = config.sms.aliyun.signName;
  if (!signName)
    throw new UsageError("connect aliyun: set sms.aliyun.signName (the registered signature) first");
  const { AliyunRpc } = await import("../../../providers/aliyun-rpc.js");
  const rpc = new AliyunRpc({ accessKeyId, accessKeySecret });
  const log = (line: string) => process.stderr.write(`${terminalSafe(`connect aliyun: ${line}`)}\n`);
  const states = await connectAliyun(rpc, config, {
    submit: values.submit === true,
    wait: values.wait === true,
    paceMs: Number(process.env.SHOPCARE_ALIYUN_PACE_MS ?? 30_000),
    pollMs: Number(process.env.SHOPCARE_ALIYUN_POLL_MS ?? 60_000),
    log,
  });
  const signature = await signatureState(rpc, signName);
  const approved = states.filter((state) => state.state === "approved");
  if (values.json) process.stdout.write(`${JSON.stringify({ templates: states, signature })}\n`);
  else process.stdout.write(`${aliyunTable([...states, signature])}\n`);
  const codes = Object.fromEntries(approved.map((state) => [state.key, state.code]));
  if (values.write) {
    await writeApprovedCodes(states, file, inCdkJson);
    log(`wrote ${approved.length} approved code(s) to ${file}`);
  } else if (!values.json && approved.length > 0)
    process.stdout.write(`${JSON.stringify({ sms: { aliyun: { templateCodes: codes } } }, null, 2)}\n`);
  const rejected = states.filter((state) => state.state === "rejected");
  for (const state of rejected) log(`${state.key} rejected: ${state.reason ?? "no reason given"}`);
  log(`${approved.length} of ${states.length} approved; signature ${signature.state}`);
  return rejected.length > 0 || signature.state === "rejected" ? 1 : 0;
}
