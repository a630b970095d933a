import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { SUBSCRIBED_TOPICS, topicEnum } from "../../functions/core/intake/webhooks/subscriptions.js";
import { shopifyConnectionChecks } from "../../functions/local/aws/doctor-shopify.js";
import { cli } from "../support/cli.js";
import { FakeAccount, type FakeAccountState } from "../support/fake-account.js";
import { FakeShopify } from "../support/fake-shopify.js";

/** Issue 36: `npx shopcare connect shopify` against a protocol-level fake of Shopify's GraphQL Admin API. */

const TOKEN = "shpat_0123456789abcdef";
const BASE = "https://hooks.example.com";
const URI = `${BASE}/webhooks/shopify`;
const SHOP = "acme.myshopify.com";

describe("shopcare connect shopify", () => {
  let shopify: FakeShopify;
  const connect = (...args: string[]) =>
    cli(["connect", "shopify", "--shop", SHOP, ...args], { SHOPCARE_SHOPIFY_ADMIN_URL: shopify.url });
  const mutations = () => shopify.requests.filter((request) => request.field !== "webhookSubscriptions");

  beforeEach(async () => {
    // The config's default Admin API version (shopify.apiVersion), which the fake insists on in the path.
    shopify = await new FakeShopify(TOKEN, "2026-10").start();
  });
  afterEach(() => shopify.stop());

  it("subscribes every topic from nothing, and a second run has nothing to do", async () => {
    // Act
    const first = await connect("--url", BASE, "--token", TOKEN);
    const created = mutations().length;
    const second = await connect("--url", BASE, "--token", TOKEN);

    // Assert
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^topic\s+state\s+action\n/);
    expect(first.stdout).toMatch(/orders\/create\s+missing\s+create/);
    expect(first.stdout).toMatch(/shop\/redact\s+app configuration/);
    expect(first.stdout).toContain(
      `connect shopify: ${SHOP} → ${URI}: created ${SUBSCRIBED_TOPICS.length}, fixed 0, removed 0`,
    );
    expect(shopify.subscriptions.map((s) => [s.topic, s.uri, s.format]).sort()).toEqual(
      SUBSCRIBED_TOPICS.map((topic) => [topicEnum(topic), URI, "JSON"]).sort(),
    );
    expect(created).toBe(SUBSCRIBED_TOPICS.length);
    expect(second.stdout).toContain("nothing to do");
    expect(mutations()).toHaveLength(created);
  });

  it("fixes a wrong address and an XML format in place, removes a topic shopcare no longer takes, leaves others' alone", async () => {
    // Arrange: a shop connected before, then changed by hand; more than one page of subscriptions.
    for (const topic of SUBSCRIBED_TOPICS) shopify.subscribe(topicEnum(topic), URI);
    const paid = shopify.subscriptions.find((s) => s.topic === "ORDERS_PAID") as { uri: string };
    paid.uri = "https://old.example.com/webhooks/shopify";
    const refunds = shopify.subscriptions.find((s) => s.topic === "REFUNDS_CREATE") as { format: string };
    refunds.format = "XML";
    const stale = shopify.subscribe("PRODUCTS_UPDATE", URI);
    for (let n = 0; n < 120; n += 1)
      shopify.subscribe("APP_UNINSTALLED", `https://other-${n}.example.com/hook`);

    // Act
    const run = await connect("--url", BASE, "--token", TOKEN, "--json");

    // Assert
    expect(run.code, run.stderr).toBe(0);
    const { steps } = JSON.parse(run.stdout) as { steps: { topic: string; state: string; action: string }[] };
    expect(steps.filter((step) => step.action !== "none")).toEqual([
      expect.objectContaining({ topic: "orders/paid", state: "wrong-uri", action: "update" }),
      expect.objectContaining({ topic: "refunds/create", state: "wrong-format", action: "update" }),
      expect.objectContaining({
        topic: "PRODUCTS_UPDATE",
        state: "not-taken",
        action: "delete",
        id: stale.id,
      }),
    ]);
    expect(shopify.requests.filter((r) => r.field === "webhookSubscriptions").length).toBeGreaterThan(1);
    expect(shopify.subscriptions.filter((s) => s.uri === URI && s.format === "JSON")).toHaveLength(
      SUBSCRIBED_TOPICS.length,
    );
    expect(shopify.subscriptions.filter((s) => s.topic === "APP_UNINSTALLED")).toHaveLength(120);
  });

  it("rides out Shopify's rate limit and an outage: a 429 and a 503 are retried, and every topic subscribed", async () => {
    // Arrange: the first two requests throttled, then unavailable.
    shopify.failNext = [429, 503];

    // Act
    const run = await connect("--url", BASE, "--token", TOKEN);

    // Assert
    expect(run.code, run.stderr).toBe(0);
    expect(shopify.failures).toEqual([429, 503]);
    expect(shopify.subscriptions).toHaveLength(SUBSCRIBED_TOPICS.length);
  });

  it("changes nothing on --dry-run, saying what it would do", async () => {
    // Act
    const run = await connect("--url", BASE, "--token", TOKEN, "--dry-run");

    // Assert
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`would create ${SUBSCRIBED_TOPICS.length}`);
    expect(mutations()).toEqual([]);
    expect(shopify.subscriptions).toEqual([]);
  });

  it("reports a revoked token in one line with the fix, and exits 1", async () => {
    // Act
    const run = await connect("--url", BASE, "--token", "shpat_revoked");

    // Assert
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^connect shopify: Shopify refused the access token \(401\): make a new Admin API token/,
      ),
    ]);
    expect(run.stderr).not.toContain("shpat_revoked");
  });

  it("reads the webhook URL and the token from a deployed stack (--stack) with the operator's credentials", async () => {
    // Arrange: the stack's outputs and its ShopifyAdminToken secret in a fake AWS account.
    const secretArn = "arn:aws:secretsmanager:ap-southeast-1:111122223333:secret:ShopifyAdminToken-abc";
    const account = await new FakeAccount({
      stacks: {
        Shopcare: {
          status: "CREATE_COMPLETE",
          outputs: { WebhookUrl: `${BASE}/webhooks/`, ShopifyAdminSecretArn: secretArn },
        },
      },
      secrets: { [secretArn]: JSON.stringify({ accessToken: TOKEN }) },
    } as unknown as FakeAccountState).start();
    try {
      // Act
      const run = await cli(["connect", "shopify", "--shop", SHOP, "--stack", "Shopcare"], {
        SHOPCARE_SHOPIFY_ADMIN_URL: shopify.url,
        AWS_ENDPOINT_URL: account.url,
        AWS_REGION: "ap-southeast-1",
        AWS_ACCESS_KEY_ID: "AKIDTEST",
        AWS_SECRET_ACCESS_KEY: "secret",
      });

      // Assert
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).not.toContain(TOKEN);
      expect(new Set(shopify.subscriptions.map((s) => s.uri))).toEqual(new Set([URI]));
    } finally {
      await account.stop();
    }
  });

  it("lets doctor check the connection: the token's scopes, every topic at this stack's URL, a revoked token", async () => {
    // Arrange: the stack's outputs and secret in a fake AWS account; doctor's Secrets Manager client on it.
    const secretArn = "arn:aws:secretsmanager:ap-southeast-1:111122223333:secret:ShopifyAdminToken-abc";
    const account = await new FakeAccount({
      stacks: {},
      secrets: { [secretArn]: JSON.stringify({ accessToken: TOKEN }) },
    } as unknown as FakeAccountState).start();
    const secrets = new SecretsManagerClient({
      endpoint: account.url,
      region: "ap-southeast-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    });
    const config = parseShopConfig({ shopify: { shop: SHOP } });
    const outputs = { WebhookUrl: `${BASE}/webhooks/`, ShopifyAdminSecretArn: secretArn };
    const previous = process.env.SHOPCARE_SHOPIFY_ADMIN_URL;
    process.env.SHOPCARE_SHOPIFY_ADMIN_URL = shopify.url;
    try {
      // Act: before connect, after connect, with a scope taken away, with the token revoked.
      const before = await shopifyConnectionChecks(config, outputs, secrets);
      await connect("--url", BASE, "--token", TOKEN);
      const after = await shopifyConnectionChecks(config, outputs, secrets);
      shopify.scopes = ["read_orders"];
      const lacking = await shopifyConnectionChecks(config, outputs, secrets);
      account.state.secrets[secretArn] = JSON.stringify({ accessToken: "shpat_revoked" });
      const revoked = await shopifyConnectionChecks(config, outputs, secrets);

      // Assert
      const status = (results: { check: string; status: string }[]) =>
        Object.fromEntries(results.map((result) => [result.check, result.status]));
      expect(status(before)).toEqual({ "shopify-scopes": "ok", "shopify-subscriptions": "warn" });
      expect(before[1]?.fix).toBe(`npx shopcare connect shopify --shop ${SHOP} --stack <name>`);
      expect(status(after)).toEqual({ "shopify-scopes": "ok", "shopify-subscriptions": "ok" });
      expect(lacking[0]).toMatchObject({
        status: "fail",
        summary: "the token lacks read_fulfillments, read_customers, write_customers",
      });
      expect(revoked).toEqual([expect.objectContaining({ check: "shopify-token", status: "fail" })]);
    } finally {
      if (previous === undefined) delete process.env.SHOPCARE_SHOPIFY_ADMIN_URL;
      else process.env.SHOPCARE_SHOPIFY_ADMIN_URL = previous;
      await account.stop();
    }
  });

  it("refuses an unclear request by name: no shop, no place, a place without a token", async () => {
    // Act
    const noShop = await cli(["connect", "shopify", "--url", BASE, "--token", TOKEN]);
    const noPlace = await connect("--token", TOKEN);
    const noToken = await connect("--url", BASE);
    const notShopify = await cli(["connect", "taobao"]);

    // Assert
    expect(noShop.stderr).toContain("--shop NAME.myshopify.com");
    expect(noPlace.stderr).toContain("one of --stack NAME (a deployed shop) or --url BASE");
    expect(noToken.stderr).toContain("--token T");
    expect(notShopify.stderr).toContain("shopcare connect shopify");
    expect([noShop.code, noPlace.code, noToken.code, notShopify.code]).toEqual([2, 2, 2, 2]);
  });
});
