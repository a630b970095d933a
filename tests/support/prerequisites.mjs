// `npm test` runs this first: a missing prerequisite is said in one line, with the command that installs
// it, before anything runs (rather than a stack trace from DynamoDB Local or Chromium minutes later).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const missing = [];
if (spawnSync("java", ["-version"], { stdio: "ignore" }).error)
  missing.push("Java 17+ for DynamoDB Local: apt-get install openjdk-17-jre-headless");
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromium))
  missing.push(
    `Chromium for the browser tests (${chromium}): apt-get install chromium, or set CHROMIUM_PATH`,
  );
for (const line of missing) process.stderr.write(`npm test needs ${line}\n`);
process.exit(missing.length > 0 ? 1 : 0);
