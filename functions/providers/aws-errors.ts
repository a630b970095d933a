import { SmsSendError } from "../core/config/messaging.js";

/**
 * AWS error codes that say the sender's account or credentials are wrong, whatever the message: IAM
 * ("AccessDenied", "AuthorizationError" in SNS's query API), SigV4 ("SignatureDoesNotMatch",
 * "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken…"), KMS behind an encrypted
 * resource ("KMSAccessDenied", "KMSDisabled", "KMSNotFound", "KMSInvalidState"), and End User Messaging's
 * sandbox / spend-limit refusals ("… is in the sandbox", "MonthlySpendLimit…").
 */
const MISCONFIGURED =
  /^(AccessDenied|AuthorizationError|SignatureDoesNotMatch|InvalidClientTokenId|UnrecognizedClient|ExpiredToken|InvalidAccessKeyId|MissingAuthenticationToken|KMS(AccessDenied|Disabled|NotFound|InvalidState|OptInRequired))/;
const MISCONFIGURED_MESSAGE =
  /sandbox|spend limit|MONTHLY_SPEND|SPEND_LIMIT|not verified|opted[- ]in destination/i;

/** Classifies an error thrown by an AWS SDK client call. */
export function classifyAwsError(error: unknown): SmsSendError {
  if (error instanceof SmsSendError) return error;
  const failure = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const name = failure.name ?? failure.code ?? "Error";
  const status = failure.$metadata?.httpStatusCode;
  const message = failure.message ?? String(error);
  if (
    name === "TimeoutError" ||
    name === "RequestTimeout" ||
    name === "AbortError" ||
    /ETIMEDOUT|socket hang up/.test(message)
  )
    return new SmsSendError("ambiguous", name, message);
  if (MISCONFIGURED.test(name) || MISCONFIGURED_MESSAGE.test(message))
    return new SmsSendError("misconfigured", name, message);
  if (
    /Throttl|TooManyRequests|LimitExceeded|ServiceUnavailable|InternalError|InternalFailure|KMSThrottling/.test(
      name,
    ) ||
    (status !== undefined && (status === 429 || status >= 500)) ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message)
  )
    return new SmsSendError("retryable", name, message);
  return new SmsSendError("rejected", name, message);
}
