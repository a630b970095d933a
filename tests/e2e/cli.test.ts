import { spawn } from "node:child_process";
import { mkdtemp, readFile, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_HELP } from "../../functions/local/cli/help.js";
import { freePort } from "../../functions/local/emulator/dynamodb-local.js";
import { CLI, node } from "../support/cli.js";
import { orderCreated } from "../support/local.js";
import { genericHeaders } from "../support/webhooks.js";

const PREREQUISITES = new URL("../support/prerequisites.mjs", import.meta.url).pathname;

/** A PATH with Node and nothing else: a machine without Java. */
async function pathWithoutJava(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "shopcare-nojava-"));
  await symlink(process.execPath, join(dir, "node"));
  return dir;
}

describe("the command line's conventions", () => {
  it("prints each command's usage for --help and exits 0, and the version for --version", async () => {
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));

    const helps = await Promise.all(
      Object.keys(COMMAND_HELP).map((command) => node([CLI, command, "--help"])),
    );
    const version = await node([CLI, "--version"]);

    for (const [index, command] of Object.keys(COMMAND_HELP).entries()) {
      expect(helps[index]?.code, command).toBe(0);
      expect(helps[index]?.stdout, command).toContain(`Usage:\n  shopcare ${command}`);
    }
    expect(version).toMatchObject({ code: 0, stdout: `shopcare ${pkg.version}\n` });
  });

  it("names the closest known option for a mistyped one, in one line, exit 2", async () => {
    const result = await node([CLI, "simulate", "--evnts", "x.jsonl"]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "simulate: unknown option --evnts; did you mean --events? (shopcare simulate --help)\n",
    );
  });

  it("says a user's mistake in one line without a stack trace: a shop not running, a file that is not there", async () => {
    const port = await freePort();

    const unreachable = await node([CLI, "report", "--url", `http://127.0.0.1:${port}`]);
    const noFile = await node([
      CLI,
      "simulate",
      "--events",
      "/nonexistent/events.jsonl",
      "--store",
      "memory",
    ]);

    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^cannot reach the --url \(ECONNREFUSED\): is `shopcare start` running there\?\n$/,
    );
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toBe("no such file or directory, open '/nonexistent/events.jsonl'\n");
  });

  it("starts the shop on a machine without Java: says so once, keeps the table in memory and takes webhooks", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, "start", "--port", String(port)], {
      env: { ...process.env, PATH: await pathWithoutJava() },
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    try {
      await expect
        .poll(() => output, { timeout: 60_000, interval: 200 })
        .toContain("Ctrl-C stops everything");
      const body = JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "nojava1" }));
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/generic`, {
        method: "POST",
        body,
        headers: genericHeaders(body, new Date()),
      });

      // The tracked links' route is served as on the deployed API: an unknown code is a 404 page.
      const link = await fetch(`http://127.0.0.1:${port}/l/AAAAAAAA`, { redirect: "manual" });
      // The operator routes take only the page's token: a reply posted as any page could is refused, and
      // `report --url` (which reads the token from the page) works.
      const reply = await fetch(`http://127.0.0.1:${port}/inbound/sms`, {
        method: "POST",
        body: JSON.stringify({ from: "+8613800000000", text: "T", at: new Date().toISOString() }),
      });
      const report = await node([CLI, "report", "--url", `http://127.0.0.1:${port}`]);

      expect(response.status).toBe(202);
      expect(link.status).toBe(404);
      expect(reply.status).toBe(403);
      expect(report.code, report.stderr).toBe(0);
      expect(output).toContain(
        '    generic    "shopcare-local-secret", the local default (set SHOPCARE_GENERIC_SECRET)',
      );
      expect(output).toContain("this machine only, numbers masked");
      expect(await link.text()).toContain("链接已失效");
      expect(output).toContain(
        `short links:     GET http://127.0.0.1:${port}/l/{code} (set links.baseUrl to use {link})`,
      );
      expect(output.match(/needs Java 17\+/g)).toHaveLength(1);
      expect(output).toContain("keeping the table in memory instead");
      expect(output).toContain("table:           in memory (no Java for DynamoDB Local");
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("npm test names each missing prerequisite in one line with its install command, before running anything", async () => {
    const result = await node([PREREQUISITES], {
      PATH: await pathWithoutJava(),
      CHROMIUM_PATH: "/nonexistent/chromium",
    });
    const present = await node([PREREQUISITES]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        "npm test needs Java 17+ for DynamoDB Local: apt-get install openjdk-17-jre-headless",
        "npm test needs Chromium for the browser tests (/nonexistent/chromium): apt-get install chromium, or set CHROMIUM_PATH",
        "",
      ].join("\n"),
    );
    expect(present).toMatchObject({ code: 0, stderr: "" });
  });
});
