import { type Browser, chromium } from "playwright-core";

/** Headless Debian Chromium (`CHROMIUM_PATH` to use another), offline and quiet; `extraArgs` added. */
export function launchChromium(extraArgs: readonly string[] = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}

/**
 * A new page that notes its script errors and console errors, and every request that leaves `origin`
 * (a console page must ask nothing of any other origin).
 */
export async function watchedPage(browser: Browser, origin: string) {
  const page = await browser.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("request", (request) => !request.url().startsWith(origin) && foreign.push(request.url()));
  return { page, errors, foreign };
}
