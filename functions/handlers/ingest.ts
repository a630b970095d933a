import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ShopConfig } from "../core/config/config.js";
import { idsNamedBy, type ShopEvent } from "../core/intake/events.js";
import { WebhookPayloadError } from "../core/intake/webhooks/payload.js";
import {
  type IncomingWebhook,
  WEBHOOK_SOURCE,
  WEBHOOK_SOURCES,
  type WebhookSourceName,
  webhookArchiveId,
} from "../core/intake/webhooks/sources.js";
import type { Clock } from "../core/shared/clock.js";
import type { ArchivedWebhook, EventQueue, Repositories as Store } from "../core/shared/ports.js";
import { logger } from "./logger.js";

export type { EventQueue, Requeue } from "../core/shared/ports.js";

/** The signing secrets of the webhook sources: Secrets Manager on AWS, environment variables locally. */
export interface WebhookSecrets {
  /** @returns the secret, or undefined when the operator has not set one for this source */
  get(source: WebhookSourceName): Promise<string | undefined>;
  /**
   * How a source without a secret is answered: `unavailable` (503: a deployed secret not filled in yet, and
   * the sender retries) or `refused` (401 "no secret set for <source>": locally, where the operator chose the
   * sources to take by setting their variables). @default "unavailable"
   */
  readonly missing?: "unavailable" | "refused";
}

/** What the ingest handler needs. */
export interface IngestDeps {
  readonly config: ShopConfig;
  readonly store: Store;
  readonly queue: EventQueue;
  readonly clock: Clock;
  readonly secrets: WebhookSecrets;
}

/**
 * The log line of each accepted delivery. A CloudWatch Logs metric filter on it counts `WebhooksAccepted`
 * for the silence alarm (no webhook for hours is how a rotated secret or a lapsed subscription shows),
 * so ingest carries no metrics library.
 */
export const WEBHOOK_ACCEPTED_LOG = "webhook accepted";

/** The log line of a delivery whose events could not be queued (counted for the WebhooksNotQueued alarm). */
export const WEBHOOK_NOT_QUEUED_LOG = "webhook not queued";

/** Whether two copies' request details agree (a map read back from DynamoDB keeps no key order). */
function sameDetails(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const canonical = (details: Readonly<Record<string, string>>) =>
    JSON.stringify(Object.entries(details).sort());
  return canonical(a) === canonical(b);
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2["headers"]): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

/**
 * `POST /webhooks/<source>` for one source (generic, Shopify, Kuaidi100). In order: 413 for a body over
 * `webhooks.maxBodyBytes`; 401 for a missing or wrong signature (nothing kept); the raw body is archived
 * with the adapter's outcome (a repeated delivery is answered as before and changes nothing); 400 naming
 * the field when the payload cannot become generic events; the events are queued for dispatch; 202.
 */
export function createIngestHandler(
  deps: IngestDeps,
  sourceName: WebhookSourceName,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  const source = WEBHOOK_SOURCE[sourceName];
  const respond = (statusCode: number, body: Record<string, unknown>): APIGatewayProxyStructuredResultV2 => ({
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(source.answer(statusCode, body)),
  });
  return async (event) => {
    const raw = event.body ?? "";
    const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
    const { maxBodyBytes } = deps.config.webhooks;
    if (bytes.length > maxBodyBytes) return respond(413, { error: `body larger than ${maxBodyBytes} bytes` });
    const request: IncomingWebhook = {
      body: bytes.toString("utf8"),
      headers: lowerCaseHeaders(event.headers),
      query:
        event.queryStringParameters ?? Object.fromEntries(new URLSearchParams(event.rawQueryString ?? "")),
    };
    const now = deps.clock.now();
    const context = { config: deps.config, store: deps.store, now };
    const secret = await deps.secrets.get(sourceName);
    if (!secret) {
      if (deps.secrets.missing === "refused")
        return respond(401, { error: `no secret set for ${sourceName}` });
      logger.error("webhook secret not configured", { source: sourceName });
      return respond(503, { error: `the ${sourceName} webhook secret is not configured` });
    }
    const unauthorized = source.verify(request, secret, context);
    if (unauthorized) {
      logger.warn("webhook refused", { source: sourceName, reason: unauthorized });
      return respond(401, { error: unauthorized });
    }
    const id = webhookArchiveId(source, request);
    // Adapt first, so the archive is one conditional write with the outcome in it: a webhook costs one
    // DynamoDB write, and a repeat of it is recognised by that same write.
    let adapted: { events: ShopEvent[]; ignored?: string } | undefined;
    let problem: Record<string, string> | undefined;
    try {
      adapted = await source.toEvents(request, context);
    } catch (error) {
      if (!(error instanceof WebhookPayloadError)) throw error;
      problem = { error: "invalid payload", field: error.field, message: error.detail };
    }
    const events = adapted?.events ?? [];
    // A valid delivery is kept as `received` and only a later copy ever marks it `accepted`, after that
    // copy's own enqueue succeeded. So no copy answers "duplicate" on the word of a first attempt that is
    // still queueing (Shopify retries after 5 s) and may yet fail or be killed: that would lose the events.
    // The first copy's happy path stays one write.
    const outcome = problem
      ? { status: "rejected" as const, error: JSON.stringify(problem) }
      : { status: "received" as const, events: events.length, ...whoseEvents(events) };
    const meta = source.meta(request);
    const earlier = await deps.store.archiveWebhook({
      id,
      source: sourceName,
      receivedAt: now.toISOString(),
      body: request.body,
      meta,
      ...outcome,
    });
    // The same signed body with other unsigned details (Shopify's topic or delivery id, a callback URL's
    // order): a copy someone made, not the sender's retry. It is answered as the first copy was, and neither
    // queues nor decides anything (a first copy still `received` is left to the sender's own retry).
    const copied = earlier !== undefined && !sameDetails(earlier.meta ?? {}, meta);
    if (copied) logger.warn("webhook copy with other unsigned details", { source: sourceName, id });
    if (earlier?.status === "accepted" || (copied && earlier.status !== "rejected"))
      return respond(202, { id, accepted: earlier.events ?? 0, duplicate: true });
    if (earlier?.status === "rejected") {
      return respond(400, { id, duplicate: true, ...JSON.parse(earlier.error ?? "{}") });
    }
    if (problem) {
      // An earlier copy that never finished: this delivery decides it.
      if (earlier) await deps.store.finishWebhook(id, outcome);
      return respond(400, { ...problem, id });
    }
    // First copy or a later one (of a copy that failed, or may still be queueing), this delivery queues the
    // events: dispatch is idempotent, so events queued twice do no harm; events queued never are lost.
    if (events.length > 0) {
      try {
        await deps.queue.enqueue(events, id);
      } catch (error) {
        // Left `received`: the sender's retry queues it; WebhooksNotQueued alarms meanwhile.
        logger.error(WEBHOOK_NOT_QUEUED_LOG, { source: sourceName, id, error: String(error) });
        throw error;
      }
    }
    if (earlier) await deps.store.finishWebhook(id, { status: "accepted", events: events.length });
    logger.info(WEBHOOK_ACCEPTED_LOG, { source: sourceName, events: events.length });
    const ignored = adapted?.ignored;
    return respond(202, {
      id,
      accepted: events.length,
      ...(ignored ? { ignored } : {}),
      ...(earlier ? { duplicate: true } : {}),
    });
  };
}

/**
 * The webhook API's one handler: routes `POST /webhooks/<source>` to that source's ingest. One Lambda serves
 * every source, so they share a warm container and one secret read.
 */
export function createWebhookRouter(
  deps: IngestDeps,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  const handlers = new Map<string, ReturnType<typeof createIngestHandler>>(
    WEBHOOK_SOURCES.map((source) => [`/webhooks/${source}`, createIngestHandler(deps, source)]),
  );
  return async (event) => {
    const path = event.requestContext?.http?.path ?? event.rawPath;
    const handler = handlers.get(path);
    if (!handler) {
      return {
        statusCode: 404,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ error: `no webhook route ${path}` }),
      };
    }
    return handler(event);
  };
}

/** The variable that holds a source's local secret: `SHOPCARE_<SOURCE>_SECRET` (the Kuaidi100 salt too). */
export const secretVariable = (source: WebhookSourceName) => `SHOPCARE_${source.toUpperCase()}_SECRET`;

/**
 * Local secrets from the environment. While no `SHOPCARE_*_SECRET` (nor `SHOPCARE_ALIYUN_INBOUND_TOKEN`) is
 * set, every source takes `fallback`, a well-known secret for trying shopcare out; once any is set, the
 * operator has chosen real secrets, and a source without its own is refused rather than left on the
 * well-known one.
 */
export function environmentSecrets(env: NodeJS.ProcessEnv, fallback?: string): WebhookSecrets {
  const value = localSecret(env, fallback);
  return { get: async (source) => value(secretVariable(source)), missing: "refused" };
}

/** The variable that holds the token of Aliyun's push URLs locally. */
export const ALIYUN_TOKEN_VARIABLE = "SHOPCARE_ALIYUN_INBOUND_TOKEN";

/**
 * A local secret by its variable's name: the variable, else `fallback` while the operator has set none of
 * shopcare's secret variables, else none.
 */
export function localSecret(
  env: NodeJS.ProcessEnv,
  fallback: string | undefined,
): (variable: string) => string | undefined {
  const chosen = Object.entries(env).some(
    ([name, value]) =>
      Boolean(value) && (/^SHOPCARE_\w+_SECRET$/.test(name) || name === ALIYUN_TOKEN_VARIABLE),
  );
  return (variable) => env[variable] || (chosen ? undefined : fallback);
}

/**
 * Whose data a webhook's body holds, as its events name them: the customer, else the order (a payment, a
 * tracking push), else the number (an opt-out or a consent by number). `forget` finds the kept body by it.
 */
export function whoseEvents(events: readonly ShopEvent[]): Pick<ArchivedWebhook, "whose"> {
  const named = events.map(idsNamedBy);
  const customerId = named.find((ids) => ids.customerId)?.customerId;
  if (customerId) return { whose: { kind: "CUSTOMER", id: customerId } };
  const orderId = named.find((ids) => ids.orderId)?.orderId;
  if (orderId) return { whose: { kind: "ORDER", id: orderId } };
  const phone = named.find((ids) => ids.phone)?.phone;
  return phone ? { whose: { kind: "PHONE", id: phone } } : {};
}
