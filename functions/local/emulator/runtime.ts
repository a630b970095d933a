import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Store } from "../../adapters/dynamodb/store.js";
import { CAMPAIGN_JOURNEY, campaignUntil } from "../../core/config/campaign-settings.js";
import type { ShopConfig } from "../../core/config/config.js";
import type { SmsProvider } from "../../core/config/messaging.js";
import { subscribesParcels } from "../../core/config/shop-settings.js";
import { campaignExecution } from "../../core/customers/campaigns.js";
import type { ConsentWriteBack } from "../../core/customers/consent-writeback.js";
import type { CouponIssuer } from "../../core/engine/decide.js";
import type { JourneyStarter } from "../../core/engine/dispatch.js";
import { LINK_PATH } from "../../core/engine/links.js";
import { ReservedSendRate, type SendRateLimiter } from "../../core/engine/rate.js";
import { reportOfStore } from "../../core/insight/store-report.js";
import { WEBHOOK_SOURCES } from "../../core/intake/webhooks/sources.js";
import type { Kuaidi100Account, ParcelPoll } from "../../core/parcels/subscriptions.js";
import type { Clock } from "../../core/shared/clock.js";
import type { ExecutionState } from "../../core/shared/model.js";
import type { EventQueue } from "../../core/shared/ports.js";
import { createCampaignHandler } from "../../handlers/campaign.js";
import { createDispatchHandler } from "../../handlers/dispatch.js";
import { createInboundHttpHandler, INBOUND_PATHS } from "../../handlers/inbound.js";
import {
  ALIYUN_TOKEN_VARIABLE,
  createWebhookRouter,
  environmentSecrets,
  localSecret,
  secretVariable,
  type WebhookSecrets,
} from "../../handlers/ingest.js";
import { createLinkHandler } from "../../handlers/link.js";
import { createStepHandler } from "../../handlers/steps.js";
import { HttpCouponIssuer } from "../../providers/coupons.js";
import { LocalClickCounter } from "./clicks.js";
import { createTableFromTemplate } from "./dynamodb-local.js";
import { type ActivityTracker, type CloudFormationTemplate, LocalJourneyEngine } from "./engine.js";
import { importRoute, LOCAL_IMPORT_PATH } from "./import-route.js";
import { consentWriteBackOf, trackingQueue } from "./integrations.js";
import { MemoryTable } from "./memory-table.js";
import { OutboxOperatorChannel, type OutboxPrinter, OutboxSmsProvider } from "./outbox.js";
import { localPhonePlaces } from "./phone-data.js";
import { LocalEventQueue } from "./queue.js";
import { type LocalAccess, type LocalRoute, newOperatorToken, PUBLIC } from "./server.js";

/** Options of {@link createLocalShop}. */
export interface LocalShopOptions {
  readonly config: ShopConfig;
  /** The clock for handlers and Wait states: the system clock for `npm start`, a virtual one for simulate. */
  readonly clock: Clock;
  /** Tracks running executions for a virtual clock. @default none */
  readonly activity?: ActivityTracker;
  /** A client for a running DynamoDB Local, or an in-memory table (`simulate --store memory`). */
  readonly dynamo: DynamoDBClient | MemoryTable;
  /** The table to create and use. @default `shopcare-<random>` */
  readonly tableName?: string;
  /** Prints outbox messages. @default quiet */
  readonly print?: OutboxPrinter;
  /** Retry interval for failed tasks in ms. @default the definitions' intervals */
  readonly retryIntervalMs?: number;
  /** A template synthesized earlier for the same config (synthesis takes seconds). @default synthesized now */
  readonly template?: CloudFormationTemplate;
  /** Called when an execution fails. @default failures are collected on the engine */
  readonly onExecutionFailed?: (name: string, error: unknown) => void;
  /** The SMS provider. @default the outbox: messages are stored and printed, nothing leaves the machine */
  readonly sms?: SmsProvider;
  /** Paces sends. @default the DynamoDB per-second budget at `sms.ratePerSecond` on the given clock */
  readonly rateLimiter?: SendRateLimiter;
  /** Issues coupons for `coupon.issueUrl`. @default HTTP calls to the configured URL */
  readonly coupons?: CouponIssuer;
  /**
   * Webhook signing secrets. @default `SHOPCARE_<SOURCE>_SECRET` variables, else {@link LOCAL_WEBHOOK_SECRET}
   */
  readonly secrets?: WebhookSecrets;
  /**
   * Where opt-outs are written back to Shopify. @default the Admin API (`SHOPCARE_SHOPIFY_ADMIN_URL` when set)
   * with `SHOPCARE_SHOPIFY_ADMIN_TOKEN`, when it and `shopify.shop` are set; else nothing is written back
   */
  readonly consentWriteBack?: ConsentWriteBack;
  /**
   * Kuaidi100's `poll` API and the account to subscribe parcels with. @default `SHOPCARE_KUAIDI100_KEY`,
   * `SHOPCARE_KUAIDI100_CUSTOMER` and the Kuaidi100 salt, at `SHOPCARE_KUAIDI100_URL` when set; without a key
   * and customer, what would be sent is printed
   */
  readonly kuaidi100?: { readonly poll: ParcelPoll; readonly account?: Kuaidi100Account } | false;
  /** The shop's public URL, for the callback URLs parcels are subscribed with. @default http://127.0.0.1:3000 */
  readonly publicUrl?: string;
  /** Starts journey executions. @default the local engine (tests wrap it to make dispatch fail) */
  readonly journeys?: JourneyStarter;
  /** The operator routes' token (the console page carries it). @default a fresh random one */
  readonly token?: string;
  /** Numbers and names in clear in the console and `--url` answers (`--show-phone`). @default false */
  readonly showPhone?: boolean;
  /** Tasks a campaign execution runs before it hands over (tests). @default `CAMPAIGN_RELAY_LOOPS` */
  readonly campaignRelayLoops?: number;
  /**
   * The operators' routes the shop serves beside its own (the console's, `consoleRoutes`): handed in by
   * whoever serves them (`shopcare start`, the tests), so the emulator does not import the console.
   * @default none: the webhook API, `/inbound/*`, short links and the report route only
   */
  readonly operatorRoutes?: (deps: OperatorRouteDeps) => LocalRoute[];
}

/** What the operators' routes are given: the shop's config, store and queue, its clock, token and masking. */
export interface OperatorRouteDeps {
  readonly config: ShopConfig;
  readonly store: Store;
  readonly queue: EventQueue;
  readonly now: () => Date;
  readonly token: string;
  readonly showPhone?: boolean;
  /** The engine's executions, to stop a forgotten customer's. */
  readonly journeys: Pick<JourneyStarter, "stop">;
  /** Where a forgotten Shopify customer's SMS consent is withdrawn. @default none */
  readonly consentWriteBack?: ConsentWriteBack;
}

/** The local runtime's report route (`shopcare report --url`); not part of the deployed API. */
export const LOCAL_REPORT_PATH = "/admin/report";

/** The signing secret every local webhook source uses unless its environment variable is set. */
export const LOCAL_WEBHOOK_SECRET = "shopcare-local-secret";

/**
 * The banner's lines on the local secrets: each source and where its secret comes from (never the secret,
 * except the well-known local default).
 */
export function localSecretLines(env: NodeJS.ProcessEnv): string[] {
  const value = localSecret(env, LOCAL_WEBHOOK_SECRET);
  const sources = [
    ...WEBHOOK_SOURCES.map((source) => [source, secretVariable(source)] as const),
    ["aliyun", ALIYUN_TOKEN_VARIABLE] as const,
  ];
  return sources.map(([source, variable]) => {
    const from = env[variable]
      ? `from ${variable}`
      : value(variable)
        ? `"${LOCAL_WEBHOOK_SECRET}", the local default (set ${variable})`
        : `none set: refused (set ${variable})`;
    return `    ${source.padEnd(10)} ${from}`;
  });
}

/** A whole shopcare running in this process: the same handlers and state machines as on AWS. */
export interface LocalShop {
  readonly config: ShopConfig;
  readonly store: Store;
  readonly engine: LocalJourneyEngine;
  readonly queue: LocalEventQueue;
  readonly template: CloudFormationTemplate;
  /** Counts the clicks `GET /l/{code}` hands on; `settled()` waits for those recorded so far. */
  readonly clicks: LocalClickCounter;
  /**
   * The HTTP routes, for {@link startHttpServer}: the webhook API's (public, as on AWS) and the operators'
   * (console, admin, `/inbound/sms`: only with {@link LocalShop.token}, from this server's own page or host).
   */
  readonly routes: readonly LocalRoute[];
  /** The per-run token the operator routes require (header `x-shopcare-token`). */
  readonly token: string;
  /**
   * Starts each campaign of the config that has not ended at its `at`, on the shop's clock (what the
   * stack's EventBridge schedules do on AWS). @returns the campaigns scheduled
   */
  scheduleCampaigns(): string[];
  /** Aborts running executions and the campaigns' schedules. */
  stop(): void;
}

/**
 * Wires a local shopcare: synthesizes the stack, creates its table in DynamoDB Local, and connects the
 * real ingest / dispatch / step handlers to the local queue, the local Step Functions
 * engine and the outbox provider.
 */
export async function createLocalShop(options: LocalShopOptions): Promise<LocalShop> {
  const { config, clock } = options;
  // aws-cdk-lib takes ≈ 1.5 s to load: a caller that brings the template (a simulate worker) skips it.
  const template = options.template ?? (await (await import("./template-cache.js")).localTemplate(config));
  const tableName = options.tableName ?? `shopcare-${randomUUID().slice(0, 8)}`;
  if (!(options.dynamo instanceof MemoryTable))
    await createTableFromTemplate(options.dynamo, template, tableName);
  const store = new Store(options.dynamo, tableName);
  const engine = localEngine(options, template, store);
  const parcels =
    options.kuaidi100 !== false && subscribesParcels(config)
      ? trackingQueue(options, store, LOCAL_WEBHOOK_SECRET)
      : undefined;
  const queue = new LocalEventQueue({
    createDispatch: (onRecordError, requeue) =>
      createDispatchHandler({
        config,
        store,
        clock,
        phones: localPhonePlaces,
        operators: new OutboxOperatorChannel(store, clock, options.print),
        journeys: options.journeys ?? engine,
        consentWriteBack: consentWriteBackOf(options),
        parcels,
        onRecordError,
        requeue,
      }),
    store,
    clock,
    activity: options.activity,
  });
  // Clicks are counted after their redirect is answered, as the clicks function counts them on AWS.
  const clicks = new LocalClickCounter(store);
  const token = options.token ?? newOperatorToken();
  // What stops the campaigns' schedules when the shop stops.
  const schedules = new AbortController();
  return {
    config,
    store,
    engine,
    queue,
    template,
    clicks,
    token,
    routes: localRoutes(options, { store, queue, clicks, token, engine }),
    scheduleCampaigns: () => scheduleCampaigns(options, engine, schedules.signal),
    stop: () => {
      schedules.abort();
      engine.stopAll();
    },
  };
}

/** The local Step Functions engine over the template, its tasks the real step and campaign handlers. */
function localEngine(
  options: LocalShopOptions,
  template: CloudFormationTemplate,
  store: Store,
): LocalJourneyEngine {
  const { config, clock } = options;
  const sms = options.sms ?? new OutboxSmsProvider(store, clock, options.print);
  const deliverDeps = {
    config,
    clock,
    store,
    phones: localPhonePlaces,
    sms,
    operators: new OutboxOperatorChannel(store, clock, options.print),
    rateLimiter:
      options.rateLimiter ?? new ReservedSendRate(store, clock, sms.name, config.sms.ratePerSecond),
    coupons: options.coupons ?? new HttpCouponIssuer(),
    // Successors start on the engine this handler runs in (called only once it exists).
    journeys: {
      start: (journey: string, name: string, input: Parameters<JourneyStarter["start"]>[2]): Promise<void> =>
        (options.journeys ?? engine).start(journey, name, input),
    },
  };
  const engine: LocalJourneyEngine = new LocalJourneyEngine({
    template,
    clock,
    activity: options.activity,
    retryIntervalMs: options.retryIntervalMs,
    onExecutionFailed: options.onExecutionFailed,
    handlers: {
      step: createStepHandler(deliverDeps),
      campaign: createCampaignHandler({
        ...deliverDeps,
        // A virtual clock moves once every execution sleeps, counting each as one sleeper: one message at
        // a time (a virtual send takes no time, so one at a time still fills the send rate).
        concurrency: options.activity ? 1 : undefined,
        relayAfterLoops: options.campaignRelayLoops,
      }),
    },
  });
  return engine;
}

/**
 * The HTTP routes: the webhook API's, Aliyun's pushes and the short links (public, as on AWS), the report
 * route and whatever operators' routes the caller hands in (operator only).
 */
function localRoutes(
  options: LocalShopOptions,
  shop: {
    store: Store;
    queue: LocalEventQueue;
    clicks: LocalClickCounter;
    token: string;
    engine: LocalJourneyEngine;
  },
): LocalRoute[] {
  const { config, clock } = options;
  const { store, queue, clicks, token, engine } = shop;
  const operator: LocalAccess = { kind: "operator", token };
  const inbound = createInboundHttpHandler({
    store,
    config,
    clock,
    operators: new OutboxOperatorChannel(store, clock, options.print),
    aliyunToken: async () => localSecret(process.env, LOCAL_WEBHOOK_SECRET)(ALIYUN_TOKEN_VARIABLE),
    // Opt-out replies go on to dispatch when it writes them back to Shopify, as on AWS.
    events: consentWriteBackOf(options) ? queue : undefined,
  });
  const ingest = createWebhookRouter({
    config,
    store,
    queue,
    clock,
    secrets: options.secrets ?? environmentSecrets(process.env, LOCAL_WEBHOOK_SECRET),
  });
  return [
    {
      method: "POST",
      path: LOCAL_REPORT_PATH,
      access: operator,
      handler: async () => ({
        statusCode: 200,
        body: JSON.stringify(await reportOfStore(store, config, clock.now())),
      }),
    },
    {
      method: "POST",
      path: LOCAL_IMPORT_PATH,
      access: operator,
      handler: importRoute({
        config,
        store,
        clock,
        phones: localPhonePlaces,
        journeys: options.journeys ?? engine,
      }),
    },
    ...(options.operatorRoutes?.({
      config,
      store,
      queue,
      now: () => clock.now(),
      token,
      showPhone: options.showPhone,
      journeys: options.journeys ?? engine,
      consentWriteBack: consentWriteBackOf(options),
    }) ?? []),
    ...WEBHOOK_SOURCES.map((source) => ({
      method: "POST" as const,
      path: `/webhooks/${source}`,
      handler: ingest,
      access: PUBLIC,
    })),
    // Aliyun's pushes come from Aliyun (their URL's token is their secret); a reply typed into
    // `/inbound/sms` stands for the customer's phone, so only the operator may post one.
    ...Object.values(INBOUND_PATHS).map((path) => ({
      method: "POST" as const,
      path,
      handler: inbound,
      access: path === INBOUND_PATHS.localReply ? operator : PUBLIC,
    })),
    // The tracked short links, as on the deployed API.
    {
      method: "GET",
      path: LINK_PATH,
      handler: createLinkHandler({ links: store, clicks, clock }),
      access: PUBLIC,
    },
  ];
}

/** Starts each campaign that has not ended at its `at` on the shop's clock; @returns the ones scheduled. */
function scheduleCampaigns(
  options: LocalShopOptions,
  engine: LocalJourneyEngine,
  stopped: AbortSignal,
): string[] {
  const { config, clock } = options;
  const scheduled: string[] = [];
  for (const campaign of config.campaigns) {
    if (campaignUntil(campaign) <= clock.now()) continue;
    const { name, input } = campaignExecution(campaign);
    // A waiting schedule counts for the virtual clock only once it wakes (as a sleeper it is idle).
    options.activity?.begin();
    void clock
      .sleepUntil(new Date(campaign.at), stopped)
      .then(async () => {
        if (!stopped.aborted) await engine.start(CAMPAIGN_JOURNEY, name, input as unknown as ExecutionState);
      })
      .finally(() => options.activity?.end());
    scheduled.push(campaign.id);
  }
  return scheduled;
}
