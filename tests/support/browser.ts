import { chromium } from "playwright-core";

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
