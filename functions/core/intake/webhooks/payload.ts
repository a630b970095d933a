import { isSafeNumber, parse } from "lossless-json";
import { InvalidEventError, parseShopEvent, type ShopEvent } from "../events.js";

/** A webhook payload that cannot become generic events: names the field at fault, answered with 400. */
export class WebhookPayloadError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = "WebhookPayloadError";
  }
}

/**
 * Parses JSON keeping integers beyond 2^53 as their digit strings: platform ids like Shopify's
 * 820982911946154508 would otherwise lose their last digits.
 * @throws {WebhookPayloadError} for text that is not JSON
 */
export function parseJson(text: string): unknown {
  try {
    return parse(text, undefined, (value) => (isSafeNumber(value) ? Number(value) : value));
  } catch (error) {
    throw new WebhookPayloadError("(body)", `not valid JSON (${(error as Error).message})`);
  }
}

/** Validates adapter output against the generic format, naming the first field at fault. */
export function toShopEvent(candidate: unknown, prefix = ""): ShopEvent {
  try {
    return parseShopEvent(candidate);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    const [first] = error.problems;
    throw new WebhookPayloadError(`${prefix}${first?.field ?? "(event)"}`, first?.message ?? error.message);
  }
}

/** An object field of a payload, or a 400 naming it. */
export function objectAt(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WebhookPayloadError(field, "expected an object");
  }
  return value as Record<string, unknown>;
}
