import { createHmac, randomUUID } from "node:crypto";
import {
  type SmsMessage,
  type SmsProvider,
  type SmsReceipt,
  SmsSendError,
  templateCodeKey,
} from "../core/config/messaging.js";

/** An Alibaba Cloud AccessKey pair (from Secrets Manager on AWS, from the environment locally). */
export interface AliyunCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

/** Options of the Aliyun SMS provider. */
export interface AliyunSmsOptions {
  /** The registered signature (签名), e.g. the shop's name. */
  readonly signName: string;
  /** The registered template code (模板 CODE) per shopcare template id. */
  readonly templateCodes: Readonly<Record<string, string>>;
  /** @default `SHOPCARE_ALIYUN_SMS_URL` when set (tests, proxies), else "https://dysmsapi.aliyuncs.com" */
  readonly endpoint?: string;
  /** @default "cn-hangzhou" */
  readonly regionId?: string;
  /** Resolves the AccessKey; called per send so a rotated secret is picked up. */
  readonly credentials: () => Promise<AliyunCredentials>;
  /** Request timeout in ms; a timeout is an ambiguous failure (never resent blindly). @default 5000 */
  readonly timeoutMs?: number;
  /** Nonce and timestamp sources, injectable for tests. @default random UUID, system time */
  readonly nonce?: () => string;
  readonly now?: () => Date;
}

/** RFC 3986 encoding as Aliyun's signature method specifies it (Java's URLEncoder with fixes). */
export function aliyunPercentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Signs RPC parameters with Aliyun's signature method V1 (HMAC-SHA1): the string to sign is
 * `METHOD&%2F&` + the encoded, sorted, encoded query string; the key is the secret plus `&`.
 */
export function aliyunSignature(
  method: string,
  params: Readonly<Record<string, string>>,
  secret: string,
): string {
  const canonical = Object.keys(params)
    .sort()
    .map((key) => `${aliyunPercentEncode(key)}=${aliyunPercentEncode(params[key] as string)}`)
    .join("&");
  const stringToSign = `${method}&${aliyunPercentEncode("/")}&${aliyunPercentEncode(canonical)}`;
  return createHmac("sha1", `${secret}&`).update(stringToSign).digest("base64");
}

/** Aliyun wants mainland numbers bare (`138…`) and others with their country code, no `+`. */
export function aliyunPhoneNumber(e164: string): string {
  const digits = e164.replace(/^\+/, "");
  return digits.startsWith("86") && digits.length === 13 ? digits.slice(2) : digits;
}

/** Aliyun answer codes that mean "not now" rather than "never": flow control and its own failures. */
const RETRYABLE_CODES = new Set([
  "isv.BUSINESS_LIMIT_CONTROL",
  "Throttling.User",
  "Throttling.Api",
  "isp.SYSTEM_ERROR",
  "SignatureNonceUsed",
]);

/**
 * Aliyun answer codes that say the account is wrong, not the message: a bad, disabled or unauthorized
 * AccessKey, a signature the key does not match, no credit left, an unapproved signature name or template
 * code. Retried and alarmed ({@link SmsSendError} `misconfigured`) instead of skipping every message.
 */
const MISCONFIGURED_CODES = new Set([
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId.NotFound",
  "InvalidAccessKeyId.Inactive",
  "Forbidden.RAM",
  "Forbidden.NoPermission",
  "isv.AMOUNT_NOT_ENOUGH",
  "isv.OUT_OF_SERVICE",
  "isv.ACCOUNT_NOT_EXISTS",
  "isv.ACCOUNT_ABNORMAL",
  "isv.SMS_SIGNATURE_ILLEGAL",
  "isv.SMS_TEMPLATE_ILLEGAL",
  "isv.PRODUCT_UN_SUBSCRIPT",
  "isv.PRODUCT_UNSUBSCRIBE",
]);

/**
 * A message's variables as `SendSms` takes them (`TemplateParam`, every value a string). The short link goes
 * as its code alone: the template registered with Aliyun writes the link's fixed part out and varies only
 * the parameter (`link_param`; see `connect aliyun`), so a whole URL in the variable would be sent twice.
 */
export function aliyunTemplateParam(variables: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([key, value]) => {
      const text = String(value);
      const code = key === "link" ? /\/l\/([0-9A-Za-z]+)$/.exec(text)?.[1] : undefined;
      return [key, code ?? text];
    }),
  );
}

/**
 * SMS through Alibaba Cloud SMS (`SendSms`, API version 2017-05-25), the provider mainland-China shops
 * need: AWS does not deliver SMS into China. Aliyun sends registered templates, so the message goes as a
 * template code plus its variables; the ledger reference goes as `OutId` and comes back in receipts.
 */
export class AliyunSmsProvider implements SmsProvider {
  readonly name = "aliyun";

  constructor(private readonly options: AliyunSmsOptions) {}

  async send(message: SmsMessage): Promise<SmsReceipt> {
    // A variant is registered as its own template: `<template id>#<variant id>`.
    const codeKey = templateCodeKey(message.templateId, message.variant);
    const templateCode = this.options.templateCodes[codeKey];
    if (!templateCode)
      throw new SmsSendError("rejected", "NoTemplateCode", `no template code for ${codeKey}`);
    const { accessKeyId, accessKeySecret } = await this.options.credentials();
    const params: Record<string, string> = {
      AccessKeyId: accessKeyId,
      Action: "SendSms",
      Format: "JSON",
      OutId: message.reference,
      PhoneNumbers: aliyunPhoneNumber(message.to),
      RegionId: this.options.regionId ?? "cn-hangzhou",
      SignName: this.options.signName,
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: (this.options.nonce ?? randomUUID)(),
      SignatureVersion: "1.0",
      TemplateCode: templateCode,
      TemplateParam: JSON.stringify(aliyunTemplateParam(message.variables)),
      Timestamp: (this.options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      Version: "2017-05-25",
    };
    const body = new URLSearchParams({
      ...params,
      Signature: aliyunSignature("POST", params, accessKeySecret),
    });
    let response: Response;
    try {
      const endpoint =
        this.options.endpoint ?? (process.env.SHOPCARE_ALIYUN_SMS_URL || "https://dysmsapi.aliyuncs.com");
      response = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (error) {
      const failure = error as Error & { cause?: { code?: string } };
      // Refused or unresolvable: the request never left. A timeout: it may have.
      if (failure.name === "TimeoutError" || failure.name === "AbortError")
        throw new SmsSendError("ambiguous", failure.name, failure.message);
      throw new SmsSendError("retryable", failure.cause?.code ?? failure.name, failure.message);
    }
    const text = await response.text();
    let answer: { Code?: string; Message?: string; BizId?: string };
    try {
      answer = JSON.parse(text);
    } catch {
      throw new SmsSendError(
        response.status >= 500 ? "retryable" : "rejected",
        `HTTP${response.status}`,
        text.slice(0, 200),
      );
    }
    if (answer.Code === "OK") return { provider: this.name, messageId: answer.BizId ?? "" };
    const code = answer.Code ?? `HTTP${response.status}`;
    const kind = MISCONFIGURED_CODES.has(code)
      ? "misconfigured"
      : RETRYABLE_CODES.has(code) || response.status >= 500
        ? "retryable"
        : "rejected";
    throw new SmsSendError(kind, code, answer.Message ?? "");
  }
}
