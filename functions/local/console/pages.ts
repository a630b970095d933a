import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { localeOf, type ShopLocale } from "../../core/config/shop-settings.js";
import type { EffectReport } from "../../core/insight/report.js";

/**
 * The console's and the report's pages: static HTML, CSS and ES modules in `./pages/` (lit-html from
 * `node_modules`, no CDN, no build step), read once and served under `/assets/` by `npm start` and
 * `shopcare console`. The report written to a file carries the same modules inline, so it opens offline.
 */

const PAGES = new URL("./pages/", import.meta.url);
const require = createRequire(import.meta.url);

/**
 * lit-html's browser build (its package's `browser` export, `lit-html.js` at the package's root): Node
 * resolves the package to its server build in `node/`, one folder down.
 */
const LIT_HTML_BROWSER = new URL("../lit-html.js", pathToFileURL(require.resolve("lit-html")));

/** The pages' modules and style, by the name they are served under: every `.js` and `.css` in `./pages/`. */
const PAGE_FILES = readdirSync(PAGES).filter((name) => /\.(js|css)$/.test(name));

/** A file the console serves: its content type and text. */
export interface PageAsset {
  readonly contentType: string;
  readonly body: string;
}

/** Every asset, read once; lit-html without its source-map comment (nothing fetches the map). */
export const PAGE_ASSETS: ReadonlyMap<string, PageAsset> = new Map<string, PageAsset>([
  ...PAGE_FILES.map(
    (name) =>
      [
        name,
        {
          contentType: name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8",
          body: readFileSync(new URL(name, PAGES), "utf8"),
        },
      ] as const,
  ),
  [
    "lit-html.js",
    {
      contentType: "text/javascript; charset=utf-8",
      body: readFileSync(LIT_HTML_BROWSER, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"),
    },
  ],
]);

const CONSOLE_HTML = readFileSync(new URL("console.html", PAGES), "utf8");

/**
 * Modules import each other as `shopcare/<file>`: the console page's import map maps that to `/assets/`, a
 * report file's to `data:` URLs. The map is the page's one inline script; the CSP allows it by its hash.
 */
const CONSOLE_IMPORT_MAP = /<script type="importmap">([^<]*)<\/script>/.exec(CONSOLE_HTML)?.[1] ?? "";

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * The console page's headers. The Content-Security-Policy runs only this server's scripts and the page's
 * own import map (by its hash: no injected script, inline handler or other origin's code), lets the page
 * talk only to this server, and forbids every other site to frame it (clickjacking its buttons).
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": [
    "default-src 'none'",
    `script-src 'self' ${sha256(CONSOLE_IMPORT_MAP)}`,
    "style-src 'self'",
    "img-src data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; "),
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** The headers of an asset: its type, and nothing for a browser to guess or keep. */
export function assetHeaders(asset: PageAsset): Record<string, string> {
  return {
    "content-type": asset.contentType,
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] as string,
  );

/** What the pages show of the shop: its name, its language and its time zone. */
export interface PageShop {
  readonly name: string;
  readonly locale: ShopLocale;
  readonly timeZone: string;
}

/** The shop as the pages show it, from its config. */
export function pageShopOf(config: {
  readonly name: string;
  readonly locale?: ShopLocale;
  readonly timeZone: string;
  readonly webhooks: { readonly defaultCountry: string };
}): PageShop {
  return { name: config.name, locale: localeOf(config), timeZone: config.timeZone };
}

/** The console page, carrying the server's per-run `token` (URL-safe base64) and the shop's settings. */
export function consoleHtml(token: string, shop: PageShop): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error("a console token is URL-safe base64");
  const metas: Record<string, string> = {
    "shopcare-token": token,
    "shopcare-shop": shop.name,
    "shopcare-locale": shop.locale,
    "shopcare-time-zone": shop.timeZone,
  };
  return CONSOLE_HTML.replace('<html lang="en">', `<html lang="${shop.locale}">`).replace(
    /<meta name="(shopcare-[a-z-]+)" content="">/g,
    (meta, name: string) =>
      name in metas ? `<meta name="${name}" content="${escapeHtml(metas[name] ?? "")}">` : meta,
  );
}

/** JSON inside a `<script>`: no `</script>` (or any `<`) can end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

/**
 * The effect report as one HTML file: the report page's modules inline (an import map of `data:` URLs),
 * its data in `#report-data`. It opens offline, from a file, in any browser, and asks nothing of the network.
 */
export function reportHtml(report: EffectReport, shop: PageShop): string {
  const imports = Object.fromEntries(
    [...PAGE_ASSETS]
      .filter(([name]) => name.endsWith(".js"))
      .map(([name, asset]) => [
        `shopcare/${name}`,
        `data:text/javascript;base64,${Buffer.from(asset.body).toString("base64")}`,
      ]),
  );
  const style = PAGE_ASSETS.get("pages.css")?.body ?? "";
  return `<!doctype html>
<html lang="${shop.locale}"><head><meta charset="utf-8"><title>shopcare effect report — ${escapeHtml(shop.name)}</title>
<style>${style}</style>
<script type="importmap">${scriptJson({ imports })}</script>
</head><body class="report-page">
<label class="locale">Language · 语言 <select id="locale"></select></label>
<div id="report"></div>
<script type="application/json" id="report-data">${scriptJson({ report, shop: shop.name, locale: shop.locale, timeZone: shop.timeZone })}</script>
<script type="module">import "shopcare/report-page.js";</script>
</body></html>
`;
}
