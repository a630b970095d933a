import { createAdminApiClient } from "@shopify/admin-api-client";
import {
  BULK_ORDER_FIELDS,
  ORDER_FIELDS,
  type ShopifyOrderNode,
} from "../../core/intake/webhooks/shopify-orders.js";
import type { WebhookSubscription } from "../../core/intake/webhooks/subscriptions.js";

/**
 * The shop's webhook subscriptions through Shopify's GraphQL Admin API, with Shopify's own client
 * (`@shopify/admin-api-client`): `webhookSubscriptions`, `webhookSubscriptionCreate`,
 * `webhookSubscriptionUpdate`, `webhookSubscriptionDelete` (GraphQL Admin API reference, shopify.dev).
 */

/** A refusal from the Admin API: the HTTP status (401 for a revoked token), or the mutation's userErrors. */
export class ShopifyAdminError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ShopifyAdminError";
  }
}

/** Where and how to reach one shop's Admin API. */
export interface ShopifyAdminOptions {
  /** `NAME.myshopify.com`. */
  readonly shop: string;
  readonly accessToken: string;
  /** A quarterly version, `shopify.apiVersion`. */
  readonly apiVersion: string;
  /**
   * Sends the requests to this origin instead of `https://<shop>` (`SHOPCARE_SHOPIFY_ADMIN_URL`: tests,
   * proxies); the path, headers and body are Shopify's. @default Shopify
   */
  readonly adminUrl?: string;
  /** How often a bulk operation's status is asked for. @default 2 s */
  readonly bulkPollMs?: number;
}

const FIELDS = "id topic uri format";

const LIST = `query ShopcareWebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    nodes { ${FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;

const CREATE = `mutation ShopcareWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { ${FIELDS} }
    userErrors { field message }
  }
}`;

const UPDATE = `mutation ShopcareWebhookSubscriptionUpdate($id: ID!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
    webhookSubscription { ${FIELDS} }
    userErrors { field message }
  }
}`;

const DELETE = `mutation ShopcareWebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}`;

const SCOPES = `query ShopcareAccessScopes {
  currentAppInstallation { accessScopes { handle } }
}`;

const ORDERS = `query ShopcareOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    nodes { ${ORDER_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Orders per page: the most the Admin API's connections return ("GraphQL Admin API rate limits"). */
export const ORDERS_PAGE_SIZE = 250;

/** Past this many orders the import reads them with one bulk operation instead of page by page. */
export const BULK_OVER = 10_000;

const ORDERS_COUNT = `query ShopcareOrdersCount($query: String) {
  ordersCount(query: $query, limit: null) { count precision }
}`;

const BULK_RUN = `mutation ShopcareBulkOrders($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}`;

const BULK_STATUS = `query ShopcareBulkStatus($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}`;

/** How often a bulk operation's status is asked for. */
const BULK_POLL_MS = 2_000;

const SMS_CONSENT = `mutation ShopcareSmsConsent($input: CustomerSmsMarketingConsentUpdateInput!) {
  customerSmsMarketingConsentUpdate(input: $input) {
    customer { id smsMarketingConsent { marketingState } }
    userErrors { field message }
  }
}`;

type UserErrors = { readonly userErrors?: readonly { field?: string[]; message: string }[] };

export class ShopifyAdmin {
  private readonly client: ReturnType<typeof createAdminApiClient>;
  private readonly bulkPollMs: number;

  constructor(options: ShopifyAdminOptions) {
    const origin = `https://${options.shop}`;
    this.bulkPollMs = options.bulkPollMs ?? BULK_POLL_MS;
    this.client = createAdminApiClient({
      storeDomain: options.shop,
      apiVersion: options.apiVersion,
      accessToken: options.accessToken,
      userAgentPrefix: "shopcare",
      // 429 and 503 are retried by the client itself (at most 3 times).
      retries: 2,
      // An unsupported version is doctor's to say; the client would print to the console.
      logger: () => {},
      customFetchApi: (url, init) =>
        fetch(options.adminUrl ? options.adminUrl.replace(/\/$/, "") + url.slice(origin.length) : url, init),
    });
  }

  /** Every webhook subscription of this app in the shop, page by page. */
  async subscriptions(): Promise<WebhookSubscription[]> {
    const all: WebhookSubscription[] = [];
    let after: string | undefined;
    for (;;) {
      const data = await this.request<{
        webhookSubscriptions: {
          nodes: WebhookSubscription[];
          pageInfo: { hasNextPage: boolean; endCursor?: string };
        };
      }>(LIST, { first: 100, ...(after ? { after } : {}) });
      all.push(...data.webhookSubscriptions.nodes);
      if (!data.webhookSubscriptions.pageInfo.hasNextPage) return all;
      after = data.webhookSubscriptions.pageInfo.endCursor;
    }
  }

  /**
   * The shop's orders created since `since`, oldest first, a page at a time (`orders` with cursor
   * pagination and the search syntax's `created_at:>=`: GraphQL Admin API reference, "orders"; "Paginating
   * results with GraphQL"). Orders older than 60 days need the `read_all_orders` scope.
   */
  async *orders(since: Date): AsyncGenerator<ShopifyOrderNode[]> {
    let after: string | undefined;
    for (;;) {
      const data = await this.request<{
        orders: { nodes: ShopifyOrderNode[]; pageInfo: { hasNextPage: boolean; endCursor?: string } };
      }>(ORDERS, {
        first: ORDERS_PAGE_SIZE,
        query: `created_at:>=${since.toISOString()}`,
        ...(after ? { after } : {}),
      });
      yield data.orders.nodes;
      if (!data.orders.pageInfo.hasNextPage) return;
      after = data.orders.pageInfo.endCursor;
    }
  }

  /**
   * The shop's orders created since `since`: page by page up to {@link BULK_OVER} (`ordersCount` first),
   * beyond that with one bulk operation ("Perform bulk operations with the GraphQL Admin API":
   * `bulkOperationRunQuery`, its status polled until `COMPLETED`, then its JSONL result, where each line
   * item is a line of its own naming its order as `__parentId`).
   */
  async *ordersSince(since: Date, onStatus?: (line: string) => void): AsyncGenerator<ShopifyOrderNode[]> {
    const query = `created_at:>=${since.toISOString()}`;
    const { ordersCount } = await this.request<{ ordersCount: { count: number } }>(ORDERS_COUNT, { query });
    if (ordersCount.count <= BULK_OVER) {
      yield* this.orders(since);
      return;
    }
    onStatus?.(`${ordersCount.count} orders: one bulk operation`);
    yield await this.bulkOrders(query, onStatus);
  }

  private async bulkOrders(query: string, onStatus?: (line: string) => void): Promise<ShopifyOrderNode[]> {
    const bulkQuery = `{ orders(query: ${JSON.stringify(query)}, sortKey: CREATED_AT) { edges { node { ${BULK_ORDER_FIELDS} } } } }`;
    const run = await this.request<{
      bulkOperationRunQuery: UserErrors & { bulkOperation?: { id: string } };
    }>(BULK_RUN, { query: bulkQuery });
    refusal("bulkOperationRunQuery", run.bulkOperationRunQuery);
    const id = run.bulkOperationRunQuery.bulkOperation?.id as string;
    for (;;) {
      const { node } = await this.request<{
        node: { status: string; errorCode?: string; objectCount?: string; url?: string | null };
      }>(BULK_STATUS, { id });
      onStatus?.(`bulk operation ${node.status.toLowerCase()}: ${node.objectCount ?? 0} objects`);
      if (node.status === "COMPLETED") return node.url ? parseBulkOrders(await download(node.url)) : [];
      if (node.status !== "CREATED" && node.status !== "RUNNING")
        throw new ShopifyAdminError(
          `bulk operation ${node.status}${node.errorCode ? ` (${node.errorCode})` : ""}`,
        );
      await new Promise((resolve) => setTimeout(resolve, this.bulkPollMs));
    }
  }

  /** The scopes the token was granted (`currentAppInstallation.accessScopes`). */
  async accessScopes(): Promise<string[]> {
    const data = await this.request<{ currentAppInstallation: { accessScopes: { handle: string }[] } }>(
      SCOPES,
      {},
    );
    return data.currentAppInstallation.accessScopes.map((scope) => scope.handle);
  }

  async create(topic: string, uri: string): Promise<void> {
    const data = await this.request<{ webhookSubscriptionCreate: UserErrors }>(CREATE, {
      topic,
      webhookSubscription: { uri, format: "JSON" },
    });
    refusal("webhookSubscriptionCreate", data.webhookSubscriptionCreate);
  }

  async update(id: string, uri: string): Promise<void> {
    const data = await this.request<{ webhookSubscriptionUpdate: UserErrors }>(UPDATE, {
      id,
      webhookSubscription: { uri, format: "JSON" },
    });
    refusal("webhookSubscriptionUpdate", data.webhookSubscriptionUpdate);
  }

  async delete(id: string): Promise<void> {
    const data = await this.request<{ webhookSubscriptionDelete: UserErrors }>(DELETE, { id });
    refusal("webhookSubscriptionDelete", data.webhookSubscriptionDelete);
  }

  /**
   * Withdraws a customer's SMS marketing consent (`customerSmsMarketingConsentUpdate`, `marketingState:
   * UNSUBSCRIBED`, needs `write_customers`: GraphQL Admin API reference, "customerSmsMarketingConsentUpdate",
   * "CustomerSmsMarketingConsentInput"). `consentUpdatedAt` is when the customer opted out here.
   */
  async unsubscribeSms(customerId: string, at: string): Promise<void> {
    const data = await this.request<{ customerSmsMarketingConsentUpdate: UserErrors }>(SMS_CONSENT, {
      input: {
        customerId: `gid://shopify/Customer/${customerId}`,
        smsMarketingConsent: { marketingState: "UNSUBSCRIBED", consentUpdatedAt: new Date(at).toISOString() },
      },
    });
    refusal("customerSmsMarketingConsentUpdate", data.customerSmsMarketingConsentUpdate);
  }

  private async request<T>(operation: string, variables: Record<string, unknown>): Promise<T> {
    const { data, errors } = await this.client.request<T>(operation, { variables });
    if (errors) {
      const details = errors.graphQLErrors?.map((error: { message?: string }) => error.message).join("; ");
      throw new ShopifyAdminError(
        details || errors.message || "the Admin API refused",
        errors.networkStatusCode,
      );
    }
    if (!data) throw new ShopifyAdminError("the Admin API answered without data");
    return data;
  }
}

/** A bulk operation's result file (a signed URL: no token). */
async function download(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok)
    throw new ShopifyAdminError(`bulk result ${url} answered ${response.status}`, response.status);
  return response.text();
}

/** A bulk operation's JSONL: each order a line, each of its line items a later line naming it (`__parentId`). */
export function parseBulkOrders(jsonl: string): ShopifyOrderNode[] {
  const orders = new Map<string, ShopifyOrderNode & { lineItems: { nodes: unknown[] } }>();
  for (const line of jsonl.split("\n")) {
    if (line.trim() === "") continue;
    const object = JSON.parse(line) as Record<string, unknown>;
    const parent = object.__parentId as string | undefined;
    if (parent === undefined) {
      orders.set(object.id as string, {
        ...(object as unknown as ShopifyOrderNode),
        lineItems: { nodes: [] },
      });
      continue;
    }
    const { __parentId: _, ...item } = object;
    orders.get(parent)?.lineItems.nodes.push(item);
  }
  return [...orders.values()];
}

function refusal(mutation: string, payload: UserErrors): void {
  const errors = payload.userErrors ?? [];
  if (errors.length > 0)
    throw new ShopifyAdminError(
      `${mutation}: ${errors.map((error) => `${error.field?.join(".") ?? ""} ${error.message}`.trim()).join("; ")}`,
    );
}

/**
 * The shop's Admin API at the config's version, through `SHOPCARE_SHOPIFY_ADMIN_URL` when set (tests,
 * proxies): what `connect` and `doctor` both talk to.
 */
export function shopifyAdminFor(
  config: { readonly shopify: { readonly apiVersion: string } },
  shop: string,
  accessToken: string,
): ShopifyAdmin {
  return new ShopifyAdmin({
    shop,
    accessToken,
    apiVersion: config.shopify.apiVersion,
    adminUrl: process.env.SHOPCARE_SHOPIFY_ADMIN_URL || undefined,
  });
}

/**
 * Opt-outs written back to the shop's Shopify customers (`ConsentWriteBack`): the Admin API client is made
 * on first use, its token read then (a Secrets Manager secret on AWS, an environment variable locally).
 */
export class ShopifyConsentWriteBack {
  private admin: Promise<ShopifyAdmin> | undefined;

  constructor(
    private readonly config: { readonly shopify: { readonly apiVersion: string; readonly shop?: string } },
    private readonly accessToken: () => Promise<string | undefined>,
  ) {}

  async unsubscribe(customerId: string, at: string): Promise<void> {
    this.admin ??= this.connect();
    const admin = await this.admin.catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    await admin.unsubscribeSms(customerId, at);
  }

  private async connect(): Promise<ShopifyAdmin> {
    const shop = this.config.shopify.shop;
    if (!shop) throw new ShopifyAdminError("shopify.shop is not set: no shop to write consent back to");
    const token = await this.accessToken();
    if (!token) throw new ShopifyAdminError("no Admin API token to write consent back with");
    return shopifyAdminFor(this.config, shop, token);
  }
}
