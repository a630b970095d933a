import { randomUUID } from "node:crypto";
import { type AliyunCredentials, aliyunSignature } from "./aliyun.js";

/** An Aliyun RPC call refused: its `Code` and `Message` (`isv.SMS_TEMPLATE_ILLEGAL`, `Throttling.User`, …). */
export class AliyunRpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "AliyunRpcError";
  }
}

/**
 * Alibaba Cloud SMS's RPC API (Dysmsapi 2017-05-25) for the operator's own calls — `CreateSmsTemplate`,
 * `GetSmsTemplate`, `QuerySmsTemplateList`, `GetSmsSign` — signed with signature method V1 as `SendSms`
 * is (`aliyun.ts`), at `SHOPCARE_ALIYUN_SMS_URL` when set (tests, proxies).
 */
export class AliyunRpc {
  constructor(
    private readonly credentials: AliyunCredentials,
    private readonly endpoint: string = process.env.SHOPCARE_ALIYUN_SMS_URL ||
      "https://dysmsapi.aliyuncs.com",
  ) {}

  async call<T extends Record<string, unknown>>(
    action: string,
    parameters: Record<string, string>,
  ): Promise<T> {
    const params: Record<string, string> = {
      ...parameters,
      AccessKeyId: this.credentials.accessKeyId,
      Action: action,
      Format: "JSON",
      RegionId: "cn-hangzhou",
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: randomUUID(),
      SignatureVersion: "1.0",
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      Version: "2017-05-25",
    };
    const body = new URLSearchParams({
      ...params,
      Signature: aliyunSignature("POST", params, this.credentials.accessKeySecret),
    });
    const response = await fetch(this.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new AliyunRpcError(`HTTP${response.status}`, text.slice(0, 200));
    }
    if (answer.Code !== "OK")
      throw new AliyunRpcError(String(answer.Code ?? `HTTP${response.status}`), String(answer.Message ?? ""));
    return answer as T;
  }
}
