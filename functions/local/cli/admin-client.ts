/**
 * How the command line talks to a running `shopcare start` or `shopcare console` (`--url`): the same way its
 * page does. The server hands its per-run token only to a request for its own page on its own host (a page of
 * another site cannot read it: the browser's same-origin policy, and the server's Host check against DNS
 * rebinding), so the command line reads it from there, then posts JSON with it. `SHOPCARE_TOKEN` gives it
 * instead (a console behind a tunnel, say).
 */

/** The header every operator request carries. */
export const TOKEN_HEADER = "x-shopcare-token";

/** The page's `<meta name="shopcare-token" content="…">`, read by the page's own script too. */
export const TOKEN_META = "shopcare-token";

const tokens = new Map<string, Promise<string>>();

/** The token a local server serves its page with. */
async function tokenOf(base: string): Promise<string> {
  if (process.env.SHOPCARE_TOKEN) return process.env.SHOPCARE_TOKEN;
  const origin = new URL(base).origin;
  let token = tokens.get(origin);
  if (!token) {
    token = (async () => {
      const response = await fetch(new URL("/", origin));
      const page = await response.text();
      const found = new RegExp(`<meta name="${TOKEN_META}" content="([A-Za-z0-9_-]+)">`).exec(page);
      if (!response.ok || !found)
        throw new Error(
          `${origin} served no shopcare page with a token (${response.status}): is it \`shopcare start\` or \`shopcare console\`?`,
        );
      return found[1] as string;
    })();
    tokens.set(origin, token);
  }
  return token;
}

/**
 * POSTs `body` as JSON to a local server's operator route `path`, with its token.
 * @throws an Error naming `what`, the URL and the answer when it is not 2xx
 */
export async function postToLocalShop<T>(url: string, path: string, body: unknown, what: string): Promise<T> {
  const response = await fetch(new URL(path, url), {
    method: "POST",
    headers: { "content-type": "application/json", [TOKEN_HEADER]: await tokenOf(url) },
    body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw new Error(`${what}: ${url} answered ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
