import type { Store } from "../../adapters/dynamodb/store.js";
import { ShopifyConsentWriteBack } from "../../adapters/shopify/admin.js";
import type { ShopConfig } from "../../core/config/config.js";
import type { ConsentWriteBack } from "../../core/customers/consent-writeback.js";
import { kuaidi100CallbackUrl } from "../../core/intake/webhooks/sources.js";
import type { Kuaidi100Account, ParcelPoll } from "../../core/parcels/subscriptions.js";
import { KUAIDI100_POLL_URL } from "../../core/parcels/subscriptions.js";
import type { Clock } from "../../core/shared/clock.js";
import { localSecret, secretVariable } from "../../handlers/ingest.js";
import { HttpParcelPoll } from "../../providers/kuaidi100-poll.js";
import type { ActivityTracker } from "./engine.js";
import type { OutboxPrinter } from "./outbox.js";
import { OutboxOperatorChannel } from "./outbox.js";
import { LocalTrackingQueue } from "./tracking-queue.js";

/**
 * The local shop's ties to outside services, wired from the environment as on AWS from secrets: Shopify's
 * consent write-back, and Kuaidi100's parcel subscriptions.
 */

/** What these read of the local shop's options (`LocalShopOptions`). */
export interface IntegrationOptions {
  readonly config: ShopConfig;
  readonly clock: Clock;
  readonly activity?: ActivityTracker;
  readonly print?: OutboxPrinter;
  readonly onExecutionFailed?: (name: string, error: unknown) => void;
  readonly consentWriteBack?: ConsentWriteBack;
  readonly kuaidi100?: { readonly poll: ParcelPoll; readonly account?: Kuaidi100Account } | false;
  readonly publicUrl?: string;
}

/** The shop's consent write-back: the one handed in, else Shopify's with the environment's token. */
export function consentWriteBackOf(options: IntegrationOptions): ConsentWriteBack | undefined {
  if (options.consentWriteBack) return options.consentWriteBack;
  const token = process.env.SHOPCARE_SHOPIFY_ADMIN_TOKEN;
  if (!token || !options.config.shopify.shop) return undefined;
  return new ShopifyConsentWriteBack(options.config, async () => token);
}

/**
 * The local tracking queue: tries run on the shop's clock against Kuaidi100 (or the one handed in); without
 * an account, each prints what it would send.
 */
export function trackingQueue(
  options: IntegrationOptions,
  store: Store,
  /** The local secrets' default (`LOCAL_WEBHOOK_SECRET`): the Kuaidi100 salt unless its variable is set. */
  localDefaultSecret: string,
): LocalTrackingQueue {
  const { config, clock } = options;
  const salt = localSecret(process.env, localDefaultSecret)(secretVariable("kuaidi100")) ?? "";
  const key = process.env.SHOPCARE_KUAIDI100_KEY;
  const customer = process.env.SHOPCARE_KUAIDI100_CUSTOMER;
  const given = options.kuaidi100 || undefined;
  const account = given ? given.account : key && customer && salt ? { key, customer, salt } : undefined;
  const poll = given?.poll ?? new HttpParcelPoll();
  const publicUrl = options.publicUrl ?? "http://127.0.0.1:3000";
  const queue = new LocalTrackingQueue(clock, options.activity, (task, error) =>
    options.onExecutionFailed?.(`tracking ${task.orderId}`, error),
  );
  queue.serve({
    store,
    clock,
    poll,
    operators: new OutboxOperatorChannel(store, clock, options.print),
    subscribeRetries: config.kuaidi100.subscribeRetries,
    account: async () => account,
    preview: (form) =>
      options.print?.(
        `[tracking] would POST ${KUAIDI100_POLL_URL} schema=${form.schema} param=${form.param} (set SHOPCARE_KUAIDI100_KEY and SHOPCARE_KUAIDI100_CUSTOMER to subscribe)`,
      ),
    callbackUrl: (orderId, secret, round) => kuaidi100CallbackUrl(publicUrl, orderId, secret, round),
  });
  return queue;
}
