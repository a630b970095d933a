import type { ShopConfig } from "../../core/config/config.js";
import { maskPhone, maskPhonesIn } from "../../core/config/messaging.js";
import { templateAt } from "../../core/config/templates.js";
import {
  campaignStatus,
  campaignStatuses,
  controlCampaign,
  UnknownCampaignError,
} from "../../core/customers/campaigns.js";
import type { ConsentWriteBack } from "../../core/customers/consent-writeback.js";
import { previewSegment, UnknownSegmentError } from "../../core/customers/segments.js";
import { explainOnStore } from "../../core/insight/explain-archive.js";
import { reportOfStore } from "../../core/insight/store-report.js";
import { archivedHistory } from "../../core/intake/replay.js";
import { settingsOf } from "../../core/journeys/context.js";
import { JOURNEY_MODULES } from "../../core/journeys/index.js";
import type { AnyJourneyModule, Trigger } from "../../core/journeys/module.js";
import type { EventQueue, JourneyStarter, Repositories } from "../../core/shared/ports.js";
import { DAY_MS } from "../../core/shared/time.js";
import { createLocalReplayHandler } from "../../handlers/replay.js";
import { localPhonePlaces } from "../emulator/phone-data.js";
import type { LocalAccess, LocalRoute } from "../emulator/server.js";
import { dataRightsRoutes } from "./data-rights.js";
import { assetHeaders, CONSOLE_HEADERS, consoleHtml, PAGE_ASSETS, pageShopOf } from "./pages.js";
import { bodyOf, json } from "./route-json.js";

/** The local runtime's explain route (`shopcare explain --url`). */
export const LOCAL_EXPLAIN_PATH = "/admin/explain";

/**
 * The operators' console: one page (`GET /` and its `/assets/`, no CDN, no build step: `pages.ts`) over a few
 * JSON routes, served by
 * `npm start` on the local shop and by `shopcare console --table` on localhost against a deployed shop
 * with the operator's credentials. Nothing here is deployed. Every route is an operator route: only the
 * page this server serves, on its own host, with its per-run token, may call it (`operatorRefusal` in
 * `server.ts`).
 */

/** The history route (`shopcare whatif --url`): the archive's events of a time range. */
export const LOCAL_HISTORY_PATH = "/admin/history";

/** The segment preview route (`shopcare segment --url`). */
export const LOCAL_SEGMENT_PATH = "/admin/segment";

/** The campaign status and control route (`shopcare campaign … --url`). */
export const LOCAL_CAMPAIGN_PATH = "/admin/campaign";

/** The local runtime's replay route (`shopcare replay --url`, the console's replay buttons). */
export const LOCAL_REPLAY_PATH = "/admin/replay";

/** What the console reads and re-drives. */
export interface ConsoleDeps {
  readonly config: ShopConfig;
  readonly store: Repositories;
  /** Where replayed events go: the local queue, or the deployed events queue. */
  readonly queue: EventQueue;
  readonly now: () => Date;
  /** The per-run token the page is served with and every route requires (`newOperatorToken()`). */
  readonly token: string;
  /**
   * Whether numbers and names are shown in clear: the server's `--show-phone`, never a request's.
   * @default false
   */
  readonly showPhone?: boolean;
  /** The engine's executions, to stop a forgotten customer's. @default none: `console --table` */
  readonly journeys?: Pick<JourneyStarter, "stop">;
  /** Where a forgotten Shopify customer's SMS consent is withdrawn first. @default none */
  readonly consentWriteBack?: ConsentWriteBack;
}

const str = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/** Whether an instant falls in the form's dates (`from`, `to` as `YYYY-MM-DD`, `to` inclusive). */
function withinDates(form: Record<string, unknown>): (at: string) => boolean {
  const from = str(form.from) ? Date.parse(String(form.from)) : Number.NEGATIVE_INFINITY;
  const to = str(form.to) ? Date.parse(String(form.to)) + DAY_MS : Number.POSITIVE_INFINITY;
  return (at) => Date.parse(at) >= from && Date.parse(at) < to;
}

/** What starts a journey, in words. */
function triggerText(trigger: Trigger): string {
  switch (trigger.kind) {
    case "order-created":
      return "order.created";
    case "order-event":
      return trigger.stage ? `${trigger.event} (${trigger.stage})` : trigger.event;
    case "first-paid-order":
      return "first paid order";
    case "paid-order-cycle":
      return "every paid order";
    case "each-refund":
      return "each refund.completed";
    case "customer-birthday":
      return "birthday known or changed";
    case "checkout":
      return "checkout.updated (per checkout)";
    default: {
      const unknown: never = trigger;
      throw new Error(`unknown trigger ${JSON.stringify(unknown)}`);
    }
  }
}

/** Each journey as configured: what starts and stops it, its timing settings and its templates. */
export function journeysAsConfigured(config: ShopConfig) {
  return (JOURNEY_MODULES as readonly AnyJourneyModule[]).map((journey) => {
    const settings = settingsOf(config, journey) as Record<string, unknown>;
    const timings = Object.fromEntries(
      Object.entries(settings).filter(
        ([, value]) => typeof value === "string" && /^(\d+[dhms])+$|^\d\d:\d\d$/.test(value),
      ),
    );
    return {
      journey: journey.id,
      enabled: settings.enabled === true,
      triggers: (journey.triggers as readonly Trigger[]).map(triggerText),
      steps: journey.steps,
      stops: (journey.stops ?? []).map((stop) => `${stop.events.join(", ")} → ${stop.reason}`),
      timings,
      windows: config.windows,
      templates: Object.entries(journey.templates).map(([key, declaration]) => {
        const id = `${journey.id}.${key}`;
        return {
          id,
          messageClass: declaration.messageClass,
          text: "setting" in declaration ? templateAt(config, id) : undefined,
        };
      }),
    };
  });
}

/** The console's routes: its page, what it reads, and what operators do (every one operator-only). */
export function consoleRoutes(deps: ConsoleDeps): LocalRoute[] {
  const access: LocalAccess = { kind: "operator", token: deps.token };
  return [
    ...pageRoutes(deps),
    ...readingRoutes(deps),
    ...operatorActionRoutes(deps),
    ...dataRightsRoutes({
      personal: deps.store,
      now: deps.now,
      journeys: deps.journeys,
      consentWriteBack: deps.consentWriteBack,
    }),
  ].map((route) => ({
    ...route,
    access,
  }));
}

type ConsoleRoute = Omit<LocalRoute, "access">;

/** The page, and the recent decisions it opens on. */
function pageRoutes(deps: ConsoleDeps): ConsoleRoute[] {
  const { store } = deps;
  const showPhone = deps.showPhone === true;
  return [
    {
      method: "GET",
      path: "/",
      handler: async () => ({
        statusCode: 200,
        headers: { ...CONSOLE_HEADERS },
        body: consoleHtml(deps.token, pageShopOf(deps.config)),
      }),
    },
    {
      method: "GET",
      path: "/assets/{file}",
      handler: async (event) => {
        const asset = PAGE_ASSETS.get(event.pathParameters?.file ?? "");
        if (!asset) return { statusCode: 404, body: "no such asset" };
        return { statusCode: 200, headers: assetHeaders(asset), body: asset.body };
      },
    },
    {
      method: "POST",
      path: "/admin/console/decisions",
      handler: async (event) => {
        const filter = bodyOf(event);
        const within = withinDates(filter);
        const decisions = (await store.listDecisions())
          .filter(
            (d) =>
              (!str(filter.journey) || d.journey === filter.journey) &&
              (!str(filter.outcome) || d.outcome === filter.outcome) &&
              (!str(filter.reason) || d.reason === filter.reason) &&
              within(d.at),
          )
          .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
          .slice(0, 200)
          .map((decision) => (showPhone ? decision : { ...decision, to: maskPhone(decision.to) }));
        return json(decisions);
      },
    },
  ];
}

/** What the page reads: a timeline, problems, the inbox, the journeys as configured, the report. */
function readingRoutes(deps: ConsoleDeps): ConsoleRoute[] {
  const { config, store } = deps;
  const showPhone = deps.showPhone === true;
  return [
    {
      method: "POST",
      path: LOCAL_EXPLAIN_PATH,
      handler: async (event) => {
        const { subject } = bodyOf(event) as { subject: never };
        return json(
          await explainOnStore(store, config, deps.now(), subject, { showPhone }, 30, localPhonePlaces),
        );
      },
    },
    {
      method: "POST",
      path: "/admin/console/problems",
      handler: async () => {
        const now = deps.now();
        const webhooks = await store.listWebhooks(
          new Date(now.getTime() - 30 * DAY_MS),
          new Date(now.getTime() + 1),
        );
        const deadLetters = await store.listDeadLetters();
        return json({
          deadLetters: showPhone
            ? deadLetters
            : deadLetters.map((letter) => ({ ...letter, body: maskPhonesIn(letter.body) })),
          rejected: webhooks
            .filter((webhook) => webhook.status === "rejected")
            .map(({ id, source, receivedAt, error }) => ({ id, source, receivedAt, error })),
        });
      },
    },
    {
      method: "POST",
      path: "/admin/console/inbox",
      handler: async () =>
        json(
          (await store.listReplies())
            .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
            .slice(0, 200)
            .map((reply) =>
              showPhone
                ? reply
                : { ...reply, from: maskPhone(reply.from) ?? "", text: maskPhonesIn(reply.text) },
            ),
        ),
    },
    {
      method: "POST",
      path: "/admin/console/journeys",
      handler: async () => json(journeysAsConfigured(config)),
    },
    {
      method: "POST",
      path: "/admin/console/report",
      handler: async (event) => {
        const within = withinDates(bodyOf(event));
        const report = await reportOfStore(store, config, deps.now(), within);
        return json(report);
      },
    },
  ];
}

/** History and replay, segments and campaigns (the CLI's `--url` uses these too). */
function operatorActionRoutes(deps: ConsoleDeps): ConsoleRoute[] {
  const { config, store } = deps;
  const showPhone = deps.showPhone === true;
  return [
    {
      method: "POST",
      path: LOCAL_HISTORY_PATH,
      handler: async (event) => {
        const { from, to } = bodyOf(event) as { from?: string; to?: string };
        const range = { from: new Date(from ?? 0), to: new Date(to ?? deps.now()) };
        return json(await archivedHistory({ config, store, now: deps.now }, range));
      },
    },
    {
      method: "POST",
      path: LOCAL_REPLAY_PATH,
      handler: createLocalReplayHandler({ config, store, queue: deps.queue, now: deps.now }),
    },
    {
      method: "POST",
      path: LOCAL_SEGMENT_PATH,
      handler: async (event) => {
        const { name, sample } = bodyOf(event) as { name?: string; sample?: number };
        try {
          return json(await previewSegment(store, config, String(name), deps.now(), { sample, showPhone }));
        } catch (error) {
          if (error instanceof UnknownSegmentError) return { statusCode: 404, body: error.message };
          throw error;
        }
      },
    },
    {
      method: "POST",
      path: "/admin/console/campaigns",
      handler: async () => json(await campaignStatuses(store, config)),
    },
    {
      method: "POST",
      path: LOCAL_CAMPAIGN_PATH,
      handler: async (event) => {
        const { id, action } = bodyOf(event) as { id?: string; action?: string };
        try {
          if (action === "status") return json(await campaignStatus(store, config, String(id)));
          if (action === "pause" || action === "resume" || action === "cancel")
            return json(await controlCampaign(store, config, String(id), action, deps.now()));
          return {
            statusCode: 400,
            body: `action: expected status, pause, resume or cancel, got ${String(action)}`,
          };
        } catch (error) {
          if (error instanceof UnknownCampaignError) return { statusCode: 404, body: error.message };
          throw error;
        }
      },
    },
  ];
}
