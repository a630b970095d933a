import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { launchChromium } from "../support/browser.js";
import { orderCreated, virtualShop } from "../support/local.js";

/**
 * Issue 32, as the attacker did it: a web page of another site in the operator's browser while `npm start`
 * (or `shopcare console --table`) runs. Chromium resolves `attacker.test` and `rebind.attacker.test` to
 * 127.0.0.1 (`--host-resolver-rules`), the worst case for the operator: the attacker's page is then a
 * "local" page to the browser, and rebinding is as complete as DNS can make it.
 */

/** The routes that change something: cancel a campaign, queue the archive again, opt out, forget. */
const STATE_CHANGING = [
  { path: "/admin/campaign", body: JSON.stringify({ id: "spring", action: "cancel" }) },
  { path: "/admin/forget", body: JSON.stringify({ customerId: "c-victim" }) },
  {
    path: "/admin/replay",
    body: JSON.stringify({ from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z" }),
  },
  {
    path: "/inbound/sms",
    body: JSON.stringify({ from: "+8613800000000", text: "T", at: "2026-06-18T11:00:00+08:00" }),
  },
];

/** The routes that read customers: names and numbers would be in their answers. */
const DATA_ROUTES = [
  { path: "/admin/history", body: "{}" },
  { path: "/admin/explain", body: JSON.stringify({ subject: { customer: "c-victim" }, showPhone: true }) },
  { path: "/admin/segment", body: JSON.stringify({ name: "all", showPhone: true }) },
  { path: "/admin/console/decisions", body: "{}" },
  { path: "/admin/console/inbox", body: "{}" },
  { path: "/admin/report", body: "{}" },
  { path: "/admin/export", body: JSON.stringify({ customerId: "c-victim" }) },
];

/** The attacker's own site: serves whatever page a test puts at a path. */
async function attackerSite(pages: Map<string, string>): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const page = pages.get(new URL(request.url ?? "/", "http://x").pathname);
    response.writeHead(page ? 200 : 404, { "content-type": "text/html" });
    response.end(page ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe("a hostile page against the local console (CSRF, DNS rebinding, clickjacking)", () => {
  let shop: LocalShop;
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  let port: number;
  let browser: Browser;
  let attacker: { server: Server; port: number };
  const pages = new Map<string, string>();
  /** What the shop's server answered, request by request. */
  const answered: { method: string; path: string; host: string; status: number }[] = [];

  beforeAll(async () => {
    ({ shop } = await virtualShop("2026-06-18T10:00:00+08:00", {
      segments: { all: {} },
      campaigns: [
        {
          id: "spring",
          segment: "all",
          at: "2026-07-01T10:00:00+08:00",
          template: "【{shop}】{name}，新品上市。回T退订",
        },
      ],
    }));
    await shop.queue.enqueue(
      [orderCreated("2026-06-18T10:00:00+08:00", { id: "v1", customerId: "c-victim", name: "王芳" })],
      "test",
    );
    await shop.queue.drain();
    http = await startHttpServer(shop.routes);
    port = Number(new URL(http.url).port);
    http.server.on("request", (request, response) =>
      response.on("finish", () =>
        answered.push({
          method: request.method ?? "",
          path: new URL(request.url ?? "/", "http://x").pathname,
          host: request.headers.host ?? "",
          status: response.statusCode,
        }),
      ),
    );
    attacker = await attackerSite(pages);
    browser = await launchChromium([
      "--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.attacker.test 127.0.0.1",
      // Chromium's own guard for loopback (Private/Local Network Access) off: Firefox and Safari have none,
      // and the server must hold by itself.
      "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks",
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await http?.close();
    attacker?.server.close();
    shop?.stop();
  });

  /** Opens a page of the attacker's site and waits until its script says it is done. */
  async function visit(path: string, html: string): Promise<Page> {
    pages.set(path, html);
    const page = await browser.newPage();
    await page.goto(`http://attacker.test:${attacker.port}${path}`);
    await page.waitForFunction("document.body.dataset.done === 'true'", undefined, { timeout: 30_000 });
    return page;
  }

  it("refuses every cross-origin post to a state-changing route (fetch no-cors, a JSON fetch, a form) with 403, and the table is unchanged", async () => {
    // Arrange: the whole table before.
    const before = JSON.stringify(await shop.store.scanAll());
    const target = `http://127.0.0.1:${port}`;
    const script = `
      const routes = ${JSON.stringify(STATE_CHANGING)};
      (async () => {
        for (const { path, body } of routes) {
          // The attack as reported: text/plain, no preflight, the answer unreadable but the harm done.
          await fetch("${target}" + path, { method: "POST", mode: "no-cors", body }).catch(() => {});
          // With the JSON type and a guessed token the browser must ask first (a preflight nobody answers).
          await fetch("${target}" + path, { method: "POST", headers: { "content-type": "application/json", "x-shopcare-token": "guess" }, body }).catch(() => {});
          // A form posting into a hidden frame.
          const frame = document.createElement("iframe");
          frame.name = "sink" + path.replaceAll("/", "-");
          document.body.append(frame);
          const form = document.createElement("form");
          form.method = "POST"; form.action = "${target}" + path; form.enctype = "text/plain"; form.target = frame.name;
          const field = document.createElement("input");
          field.name = body.slice(0, -1) + ',"x":"'; field.value = '"}';
          form.append(field); document.body.append(form);
          await new Promise((resolve) => { frame.onload = resolve; form.submit(); });
        }
        document.body.dataset.done = "true";
      })();`;
    const start = answered.length;

    // Act
    const page = await visit("/csrf", `<!doctype html><body><script>${script}</script></body>`);
    await page.close();

    // Assert: every request that reached the shop was refused; no preflight was answered with a yes.
    const reached = answered.slice(start);
    const posts = reached.filter((request) => request.method === "POST");
    expect(posts.length).toBeGreaterThanOrEqual(STATE_CHANGING.length * 2);
    expect(posts.every((request) => request.status === 403)).toBe(true);
    expect(reached.filter((request) => request.method === "OPTIONS").every((r) => r.status !== 204)).toBe(
      true,
    );
    expect(JSON.stringify(await shop.store.scanAll())).toBe(before);
    expect(await shop.store.getPhoneOptOut("+8613800000000")).toBeUndefined();
  });

  it("refuses a rebinding page its console and every data route: no name or number leaves", async () => {
    // Arrange: the attacker's name now resolves to 127.0.0.1, on the shop's own port: its page is
    // same-origin with the server, so nothing in the browser stands in the way.
    const origin = `http://rebind.attacker.test:${port}`;
    const script = `
      const routes = ${JSON.stringify(DATA_ROUTES)};
      (async () => {
        const results = [];
        try {
        const page = await fetch("/");
        const token = /shopcare-token" content="([^"]+)/.exec(await page.text())?.[1] ?? "none";
        results.push({ path: "/", status: page.status });
        for (const { path, body } of routes) {
          const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json", "x-shopcare-token": token }, body });
          results.push({ path, status: response.status, body: await response.text() });
        }
        } catch (error) { results.push({ path: "error", status: 0, body: String(error) }); }
        document.body.dataset.results = JSON.stringify(results);
        document.body.dataset.done = "true";
      })();`;
    const page = await browser.newPage();
    // The first answer for the attacker's name came from the attacker's server; every later one reaches
    // the shop's, as after a DNS rebinding.
    await page.route(`${origin}/attack`, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><body><script>${script}</script></body>`,
      }),
    );

    // Act
    await page.goto(`${origin}/attack`);
    await page.waitForFunction("document.body.dataset.done === 'true'", undefined, { timeout: 30_000 });
    const results = JSON.parse((await page.getAttribute("body", "data-results")) ?? "[]") as {
      path: string;
      status: number;
      body?: string;
    }[];
    await page.close();

    // Assert
    expect(results.map((result) => [result.path, result.status])).toEqual(
      [{ path: "/" }, ...DATA_ROUTES].map(({ path }) => [path, 403]),
    );
    const leaked = results.map((result) => result.body ?? "").join("\n");
    expect(leaked).not.toContain("王芳");
    expect(leaked).not.toMatch(/\+?86138\d{8}/);
    expect(leaked).not.toContain("c-victim");
  });

  it("cannot be framed by another site (frame-ancestors 'none'), so its buttons cannot be clickjacked", async () => {
    // Act
    const page = await visit(
      "/frame",
      `<!doctype html><body><iframe id="victim" src="http://127.0.0.1:${port}/" onload="document.body.dataset.done = 'true'"></iframe></body>`,
    );
    const framed = page.frames().find((frame) => frame !== page.mainFrame());

    // Assert: the browser refused to render the console inside the attacker's page.
    expect(framed).toBeDefined();
    expect(await framed?.locator("#search-form").count()).toBe(0);
    await page.close();
  });

  it("serves its own page with the headers that hold it: CSP frame-ancestors 'none', nosniff, no referrer", async () => {
    // Act
    const response = await fetch(`${http.url}/`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await response.text()).toContain(`<meta name="shopcare-token" content="${shop.token}">`);
  });

  it("refuses a wrong Host, a foreign Origin, a body that is not JSON and a missing or wrong token, each with 403; takes its own", async () => {
    // Arrange
    const explain = JSON.stringify({ subject: { customer: "c-victim" } });
    const own = { "content-type": "application/json", "x-shopcare-token": shop.token };
    const request = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        // node:http, since fetch does not let a caller set Host.
        import("node:http").then(({ request: send }) => {
          const outgoing = send(
            { host: "127.0.0.1", port, path: "/admin/explain", method: "POST", headers },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          );
          outgoing.on("error", reject);
          outgoing.end(explain);
        });
      });

    // Act
    const statuses = {
      rebound: await request({ ...own, host: `rebind.attacker.test:${port}` }),
      otherPort: await request({ ...own, host: `127.0.0.1:${port + 1}` }),
      foreignOrigin: await request({ ...own, host: `127.0.0.1:${port}`, origin: "http://attacker.test" }),
      textPlain: await request({ ...own, host: `127.0.0.1:${port}`, "content-type": "text/plain" }),
      noToken: await request({ host: `127.0.0.1:${port}`, "content-type": "application/json" }),
      wrongToken: await request({ ...own, host: `127.0.0.1:${port}`, "x-shopcare-token": "x".repeat(32) }),
      localhost: await request({ ...own, host: `localhost:${port}`, origin: `http://localhost:${port}` }),
      own: await request({ ...own, host: `127.0.0.1:${port}` }),
    };

    // Assert
    expect(statuses).toEqual({
      rebound: 403,
      otherPort: 403,
      foreignOrigin: 403,
      textPlain: 403,
      noToken: 403,
      wrongToken: 403,
      localhost: 200,
      own: 200,
    });
  });

  it("keeps the webhook routes and short links open to any client, as on AWS", async () => {
    // Act: no token, no Origin check (Shopify and Kuaidi100 are not the operator's page).
    const webhook = await fetch(`${http.url}/webhooks/generic`, { method: "POST", body: "{}" });
    const link = await fetch(`${http.url}/l/ZZZZZZZZ`, { redirect: "manual" });

    // Assert: the webhook's own signature check answers (401), the link its own 404.
    expect(webhook.status).toBe(401);
    expect(link.status).toBe(404);
  });
});
