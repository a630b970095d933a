import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Compares two strings in time independent of where they differ (signatures must not leak by timing). */
export function safeEqual(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(actual, "utf8");
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time the same on a mismatch.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(a, a);
}

/** HMAC-SHA256 of `data` with `secret`. */
export function hmacSha256(secret: string, data: string | Buffer, encoding: "hex" | "base64"): string {
  return createHmac("sha256", secret).update(data).digest(encoding);
}

/** Kuaidi100's signature: upper-case hex MD5 of the text. */
export function md5Upper(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex").toUpperCase();
}

/** A stable id for content that carries no delivery id of its own: a repeat of it is the same delivery. */
export function contentId(source: string, body: string): string {
  return `${source}-${createHash("sha256").update(body, "utf8").digest("hex").slice(0, 40)}`;
}
