import type { IncomingMessage, ServerResponse } from "node:http";
import type { ShopifyOrderNode } from "../../functions/core/intake/webhooks/shopify-orders.js";
import { LoopbackFake } from "./loopback.js";

/**
 * Shopify's GraphQL Admin API for one shop, as far as shopcare calls it, on a real HTTP server: each request
 * checked the way Shopify checks it — `POST /admin/api/<version>/graphql.json`, the `X-Shopify-Access-Token`
 * header (401 with Shopify's body otherwise), a JSON body of `query` and `variables` — and answered in the
 * API's shape: `webhookSubscriptions` with cursor pagination (`first` at most 250), and the
 * `webhookSubscriptionCreate` / `Update` / `Delete` mutations with their `userErrors` (an http:// address, an
 * unknown topic, a topic already subscribed at that address). GraphQL Admin API reference, shopify.dev:
 * "webhookSubscriptions", "webhookSubscriptionCreate", "WebhookSubscriptionInput", "Authentication".
 */

export interface FakeSubscription {
  id: string;
  topic: string;
  uri: string;
  format: "JSON" | "XML";
}

/** The `WebhookSubscriptionTopic` values the fake knows (a subset of Shopify's enum). */
const TOPICS = new Set([
  "ORDERS_CREATE",
  "ORDERS_PAID",
  "ORDERS_CANCELLED",
  "ORDERS_FULFILLED",
  "FULFILLMENTS_CREATE",
  "FULFILLMENTS_UPDATE",
  "REFUNDS_CREATE",
  "CUSTOMERS_MARKETING_CONSENT_UPDATE",
  "CHECKOUTS_CREATE",
  "CHECKOUTS_UPDATE",
  "PRODUCTS_UPDATE",
  "APP_UNINSTALLED",
]);

export class FakeShopify extends LoopbackFake {
  subscriptions: FakeSubscription[] = [];
  /** Every GraphQL request, by its operation's root field, with its variables. */
  readonly requests: { field: string; variables: Record<string, unknown> }[] = [];
  /** The scopes the token was granted (`currentAppInstallation.accessScopes`). */
  scopes = ["read_orders", "read_fulfillments", "read_customers", "write_customers", "read_products"];
  /** Statuses the next requests are answered with instead (429 or 503; 500 as Shopify's internal error), one each. */
  failNext: (429 | 500 | 503)[] = [];
  /** The shop's orders, as the GraphQL Admin API's `orders` query returns each (`ORDER_FIELDS`). */
  orders: ShopifyOrderNode[] = [];
  /** Bulk operations run, by id: their status (one step further each time it is asked) and result. */
  readonly bulkOperations = new Map<
    string,
    { status: string; polls: number; query: string; jsonl: string }
  >();
  /** The shop's customers by id: their number, and their SMS marketing state as the Admin API keeps it. */
  readonly customers = new Map<
    string,
    { phone?: string; smsMarketingState: string; consentUpdatedAt?: string }
  >();
  /** The failures answered so far. */
  readonly failures: number[] = [];
  private nextId = 1;

  constructor(
    readonly accessToken: string,
    readonly apiVersion: string,
  ) {
    super();
  }

  /** Adds a subscription as if created before (by this app, an earlier connect, or a person). */
  subscribe(topic: string, uri: string, format: "JSON" | "XML" = "JSON"): FakeSubscription {
    const subscription = { id: `gid://shopify/WebhookSubscription/${this.nextId++}`, topic, uri, format };
    this.subscriptions.push(subscription);
    return subscription;
  }

  protected handle(request: IncomingMessage, response: ServerResponse, body: string): void {
    // Shopify's rate limit and outages, as the next requests meet them ("Shopify API rate limits": 429
    // with Retry-After; 503 while unavailable).
    const failure = this.failNext.shift();
    if (failure) {
      this.failures.push(failure);
      response.writeHead(failure, {
        "content-type": "application/json",
        ...(failure === 429 ? { "retry-after": "1.0" } : {}),
      });
      response.end(
        JSON.stringify({
          errors:
            failure === 429
              ? "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
              : failure === 500
                ? "Internal Server Error"
                : "Service Unavailable",
        }),
      );
      return;
    }
    const [status, payload] = this.route(request, body);
    if (typeof payload === "string") {
      response.writeHead(status, { "content-type": "application/jsonl" });
      response.end(payload);
      return;
    }
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(payload));
  }

  private route(request: IncomingMessage, body: string): [number, unknown] {
    const answer = (status: number, payload: unknown): [number, unknown] => [status, payload];
    // A bulk operation's result, at the signed URL its `url` gives (no token: the URL is the credential).
    const bulk = /^\/bulk\/(\d+)\.jsonl$/.exec(request.url ?? "");
    if (request.method === "GET" && bulk) {
      const operation = this.bulkOperations.get(`gid://shopify/BulkOperation/${bulk[1]}`);
      return operation?.status === "COMPLETED"
        ? [200, operation.jsonl]
        : answer(404, { errors: "Not Found" });
    }
    if (request.method !== "POST" || request.url !== `/admin/api/${this.apiVersion}/graphql.json`)
      return answer(404, { errors: "Not Found" });
    if (request.headers["x-shopify-access-token"] !== this.accessToken)
      return answer(401, {
        errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
      });
    if (!String(request.headers["content-type"]).startsWith("application/json"))
      return answer(415, { errors: "Unsupported Media Type" });
    let parsed: { query?: string; variables?: Record<string, unknown> };
    try {
      parsed = JSON.parse(body);
    } catch {
      return answer(400, { errors: { query: "Required parameter missing or invalid" } });
    }
    const query = parsed.query ?? "";
    const variables = parsed.variables ?? {};
    const field =
      /\b(webhookSubscriptions|webhookSubscriptionCreate|webhookSubscriptionUpdate|webhookSubscriptionDelete|customerSmsMarketingConsentUpdate|orders|ordersCount|bulkOperationRunQuery|node)\s*\(/.exec(
        query,
      )?.[1];
    if (/\bcurrentAppInstallation\s*\{\s*accessScopes\s*\{\s*handle\s*\}/.test(query)) {
      this.requests.push({ field: "currentAppInstallation", variables });
      const accessScopes = this.scopes.map((handle) => ({ handle }));
      return answer(200, { data: { currentAppInstallation: { accessScopes } } });
    }
    if (!field) return answer(200, { errors: [{ message: "Field not supported by this fake", query }] });
    // "customerSmsMarketingConsentUpdate": "Requires write_customers access scope."
    if (field === "customerSmsMarketingConsentUpdate" && !this.scopes.includes("write_customers"))
      return answer(200, {
        errors: [
          {
            message:
              "Access denied for customerSmsMarketingConsentUpdate field. Required access: `write_customers` access scope.",
            extensions: { code: "ACCESS_DENIED" },
          },
        ],
      });
    this.requests.push({ field, variables });
    return answer(200, { data: { [field]: this.resolve(field, variables) } });
  }

  private resolve(field: string, variables: Record<string, unknown>): unknown {
    const node = (subscription: FakeSubscription) => ({ ...subscription });
    const input = (variables.webhookSubscription ?? {}) as { uri?: string; format?: string };
    const inputErrors = () => {
      if (!input.uri?.startsWith("https://"))
        return [
          {
            field: ["webhookSubscription", "uri"],
            message: `Address protocol ${String(input.uri).split("//")[0]}// is not supported`,
          },
        ];
      if (input.format !== undefined && input.format !== "JSON" && input.format !== "XML")
        return [{ field: ["webhookSubscription", "format"], message: "Format is invalid" }];
      return [];
    };
    switch (field) {
      case "orders":
        return this.ordersPage(variables);
      case "ordersCount":
        return { count: this.ordersSince(variables.query).length, precision: "EXACT" };
      case "bulkOperationRunQuery":
        return this.runBulk(variables);
      case "node":
        return this.bulkStatus(variables);
      case "customerSmsMarketingConsentUpdate":
        return this.smsConsent(variables);
      case "webhookSubscriptions": {
        const first = Number(variables.first);
        if (!Number.isInteger(first) || first < 1 || first > 250)
          throw new Error(`first must be 1..250, got ${first}`);
        const start = variables.after
          ? this.subscriptions.findIndex((s) => s.id === atob(String(variables.after))) + 1
          : 0;
        if (variables.after && start === 0) throw new Error(`unknown cursor ${String(variables.after)}`);
        const page = this.subscriptions.slice(start, start + first);
        const last = page.at(-1);
        return {
          nodes: page.map(node),
          pageInfo: {
            hasNextPage: start + first < this.subscriptions.length,
            endCursor: last ? btoa(last.id) : null,
          },
        };
      }
      case "webhookSubscriptionCreate": {
        const topic = String(variables.topic);
        if (!TOPICS.has(topic))
          return {
            webhookSubscription: null,
            userErrors: [{ field: ["topic"], message: `Topic ${topic} is not valid` }],
          };
        const errors = inputErrors();
        if (this.subscriptions.some((s) => s.topic === topic && s.uri === input.uri))
          errors.push({
            field: ["webhookSubscription", "uri"],
            message: "Address for this topic has already been taken",
          });
        if (errors.length > 0) return { webhookSubscription: null, userErrors: errors };
        return {
          webhookSubscription: node(
            this.subscribe(topic, input.uri as string, (input.format as "JSON") ?? "JSON"),
          ),
          userErrors: [],
        };
      }
      case "webhookSubscriptionUpdate": {
        const found = this.subscriptions.find((s) => s.id === variables.id);
        if (!found)
          return {
            webhookSubscription: null,
            userErrors: [{ field: ["id"], message: "Webhook subscription does not exist" }],
          };
        const errors = inputErrors();
        if (errors.length > 0) return { webhookSubscription: null, userErrors: errors };
        found.uri = input.uri as string;
        if (input.format) found.format = input.format as "JSON";
        return { webhookSubscription: node(found), userErrors: [] };
      }
      default: {
        const at = this.subscriptions.findIndex((s) => s.id === variables.id);
        if (at < 0)
          return {
            deletedWebhookSubscriptionId: null,
            userErrors: [{ field: ["id"], message: "Webhook subscription does not exist" }],
          };
        this.subscriptions.splice(at, 1);
        return { deletedWebhookSubscriptionId: variables.id, userErrors: [] };
      }
    }
  }

  /**
   * `customerSmsMarketingConsentUpdate(input: {customerId, smsMarketingConsent: {marketingState,
   * consentUpdatedAt?}})`: the customer must exist and have a phone number ("CustomerSmsMarketingConsentUpdateInput").
   */
  private smsConsent(variables: Record<string, unknown>): unknown {
    const input = (variables.input ?? {}) as {
      customerId?: string;
      smsMarketingConsent?: { marketingState?: string; consentUpdatedAt?: string };
    };
    const id = /^gid:\/\/shopify\/Customer\/(\d+)$/.exec(String(input.customerId))?.[1];
    const customer = id === undefined ? undefined : this.customers.get(id);
    const refuse = (field: string[], message: string) => ({
      customer: null,
      userErrors: [{ field, message }],
    });
    if (!customer) return refuse(["input", "customerId"], "Customer does not exist");
    if (!customer.phone)
      return refuse(["input", "customerId"], "A phone number is required to set the SMS consent state.");
    const state = input.smsMarketingConsent?.marketingState;
    if (!["SUBSCRIBED", "UNSUBSCRIBED", "NOT_SUBSCRIBED", "PENDING"].includes(String(state)))
      return refuse(["input", "smsMarketingConsent", "marketingState"], "Marketing state is invalid");
    customer.smsMarketingState = String(state);
    customer.consentUpdatedAt = input.smsMarketingConsent?.consentUpdatedAt;
    return {
      customer: { id: input.customerId, smsMarketingConsent: { marketingState: state } },
      userErrors: [],
    };
  }

  /**
   * `orders(first, after, query, sortKey: CREATED_AT)`: oldest first, `first` at most 250, the search syntax's
   * `created_at:>=<ISO>` filter, cursors opaque ("orders", "Paginating results with GraphQL", "Search syntax").
   */
  private ordersPage(variables: Record<string, unknown>): unknown {
    const first = Number(variables.first);
    if (!Number.isInteger(first) || first < 1 || first > 250)
      throw new Error(`first must be 1..250, got ${first}`);
    const matching = this.ordersSince(variables.query);
    const start = variables.after ? Number(atob(String(variables.after)).replace("order-cursor:", "")) : 0;
    const page = matching.slice(start, start + first);
    return {
      nodes: page,
      pageInfo: {
        hasNextPage: start + first < matching.length,
        endCursor: page.length > 0 ? btoa(`order-cursor:${start + page.length}`) : null,
      },
    };
  }

  /** The orders a search query (`created_at:>=<ISO>`, or none) matches, oldest first. */
  private ordersSince(query: unknown): ShopifyOrderNode[] {
    const since = /^created_at:>=(\S+)$/.exec(String(query ?? ""))?.[1];
    if (query !== undefined && query !== null && !since)
      throw new Error(`unsupported query ${String(query)}`);
    return this.orders
      .filter((order) => since === undefined || Date.parse(order.createdAt) >= Date.parse(since))
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  }

  /**
   * `bulkOperationRunQuery(query)`: the query must select `orders(query: "…")` as edges and nodes; its result
   * is JSONL, each line item a line of its own with `__parentId` ("Perform bulk operations with the GraphQL
   * Admin API"). One bulk query at a time per shop: a second while one runs is a userError.
   */
  private runBulk(variables: Record<string, unknown>): unknown {
    const query = String(variables.query ?? "");
    const search = /orders\(query: "([^"]*)"/.exec(query)?.[1];
    if (!/\bedges\s*\{\s*node\s*\{/.test(query) || search === undefined)
      return { bulkOperation: null, userErrors: [{ field: ["query"], message: "Invalid bulk query" }] };
    if ([...this.bulkOperations.values()].some((operation) => operation.status !== "COMPLETED"))
      return {
        bulkOperation: null,
        userErrors: [
          { field: null, message: "A bulk query operation for this app and shop is already in progress" },
        ],
      };
    const lines: string[] = [];
    for (const { lineItems, ...order } of this.ordersSince(search)) {
      lines.push(JSON.stringify(order));
      for (const item of lineItems?.nodes ?? [])
        lines.push(JSON.stringify({ ...item, __parentId: order.id }));
    }
    const id = `gid://shopify/BulkOperation/${this.bulkOperations.size + 1}`;
    this.bulkOperations.set(id, { status: "CREATED", polls: 0, query, jsonl: `${lines.join("\n")}\n` });
    return { bulkOperation: { id, status: "CREATED" }, userErrors: [] };
  }

  /** `node(id)` of a bulk operation: CREATED, then RUNNING, then COMPLETED with its `url`. */
  private bulkStatus(variables: Record<string, unknown>): unknown {
    const operation = this.bulkOperations.get(String(variables.id));
    if (!operation) return null;
    operation.polls += 1;
    operation.status = operation.polls === 1 ? "RUNNING" : "COMPLETED";
    const done = operation.status === "COMPLETED";
    return {
      id: variables.id,
      status: operation.status,
      errorCode: null,
      objectCount: String(done ? operation.jsonl.split("\n").length - 1 : 0),
      url: done ? `${this.url}/bulk/${String(variables.id).split("/").at(-1)}.jsonl` : null,
    };
  }
}
