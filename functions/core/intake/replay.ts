import type { ShopConfig } from "../config/config.js";
import type { ArchivedWebhook, EventQueue, OrderFacts, WebhookArchive } from "../shared/ports.js";
import { InvalidEventError, parseShopEvent, type ShopEvent } from "./events.js";
import { WebhookPayloadError } from "./webhooks/payload.js";
import { WEBHOOK_SOURCE, type WebhookSourceName } from "./webhooks/sources.js";

/** What a replay needs: the table and the queue dispatch reads. */
export interface ReplayDeps {
  readonly config: ShopConfig;
  readonly store: Pick<
    WebhookArchive,
    "listWebhooks" | "finishWebhook" | "listDeadLetters" | "deleteDeadLetter"
  > &
    Pick<OrderFacts, "findOrderByTracking">;
  readonly queue: EventQueue;
  readonly now: () => Date;
  /** Told after each item: how many are done, of how many. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What a replay did: items re-driven, events queued, and the ones that still cannot be (with why). */
export interface ReplayReport {
  readonly replayed: number;
  readonly events: number;
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

/**
 * Re-drives every dead letter: its event goes back on the queue and the dead letter is removed. If the
 * fix did not help, dispatch keeps it as a new dead letter with the new error.
 */
export async function replayDeadLetters(
  deps: ReplayDeps,
  /** Only these dead letters (the console's replay button). @default all */
  ids?: readonly string[],
): Promise<ReplayReport> {
  const failed: { id: string; error: string }[] = [];
  let replayed = 0;
  const letters = (await deps.store.listDeadLetters()).filter((letter) => !ids || ids.includes(letter.id));
  for (const [index, letter] of letters.entries()) {
    deps.onProgress?.(index, letters.length);
    try {
      const event = parseShopEvent(JSON.parse(letter.body));
      await deps.queue.enqueue([event], letter.webhookId ?? `dead-letter-${letter.id}`);
      await deps.store.deleteDeadLetter(letter);
      replayed += 1;
    } catch (error) {
      if (!(error instanceof InvalidEventError) && !(error instanceof SyntaxError)) throw error;
      failed.push({ id: letter.id, error: error.message });
    }
  }
  return { replayed, events: replayed, failed };
}

/** The generic events an archived webhook's adapter makes of it (none for a source shopcare no longer has). */
async function eventsOfWebhook(
  deps: Pick<ReplayDeps, "config" | "store" | "now">,
  webhook: ArchivedWebhook,
): Promise<ShopEvent[]> {
  const source = WEBHOOK_SOURCE[webhook.source as WebhookSourceName];
  if (!source) return [];
  const meta = webhook.meta ?? {};
  // Read as it was received: at its time (a push's age is judged then), with what its request carried.
  const adapted = await source.toEvents(
    {
      body: webhook.body,
      headers: { "x-shopify-topic": meta.topic },
      query: { orderId: meta.orderId, token: meta.token },
    },
    { config: deps.config, store: deps.store, now: new Date(webhook.receivedAt) },
  );
  return adapted.events;
}

/**
 * The history of [from, to) as the shop sent it: every archived webhook's events, in receive order, and
 * the webhooks no adapter can read (with why). What `whatif` replays; nothing is queued or changed.
 */
export async function archivedHistory(
  deps: Pick<ReplayDeps, "config" | "store" | "now">,
  range: { readonly from: Date; readonly to: Date },
): Promise<{
  readonly events: ShopEvent[];
  /** Each event with the webhook it came in. */
  readonly received: { event: ShopEvent; source: string; webhookId: string }[];
  readonly unreadable: { id: string; error: string }[];
}> {
  const events: ShopEvent[] = [];
  const received: { event: ShopEvent; source: string; webhookId: string }[] = [];
  const unreadable: { id: string; error: string }[] = [];
  for (const webhook of await deps.store.listWebhooks(range.from, range.to)) {
    try {
      for (const event of await eventsOfWebhook(deps, webhook)) {
        events.push(event);
        received.push({ event, source: webhook.source, webhookId: webhook.id });
      }
    } catch (error) {
      if (!(error instanceof WebhookPayloadError)) throw error;
      unreadable.push({ id: webhook.id, error: error.message });
    }
  }
  return { events, received, unreadable };
}

/**
 * Runs archived webhooks received in [from, to) through their source's adapter again and queues their
 * events: for payloads an adapter fix now understands, or events lost downstream. Dispatch is
 * idempotent, so replaying what was processed before changes nothing.
 */
export async function replayArchive(
  deps: ReplayDeps,
  range: {
    readonly from: Date;
    readonly to: Date;
    readonly source?: WebhookSourceName;
    /** Only these webhooks of the range (the console's replay button). @default all */
    readonly ids?: readonly string[];
  },
): Promise<ReplayReport> {
  const failed: { id: string; error: string }[] = [];
  let replayed = 0;
  let events = 0;
  const webhooks = await deps.store.listWebhooks(range.from, range.to);
  for (const [index, webhook] of webhooks.entries()) {
    deps.onProgress?.(index, webhooks.length);
    if (range.source && webhook.source !== range.source) continue;
    if (range.ids && !range.ids.includes(webhook.id)) continue;
    if (!WEBHOOK_SOURCE[webhook.source as WebhookSourceName]) continue;
    try {
      const adapted = await eventsOfWebhook(deps, webhook);
      if (adapted.length > 0) await deps.queue.enqueue(adapted, webhook.id);
      await deps.store.finishWebhook(webhook.id, { status: "accepted", events: adapted.length });
      replayed += 1;
      events += adapted.length;
    } catch (error) {
      if (!(error instanceof WebhookPayloadError)) throw error;
      failed.push({ id: webhook.id, error: error.message });
    }
  }
  return { replayed, events, failed };
}
