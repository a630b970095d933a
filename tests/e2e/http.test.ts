import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { postGeneric } from "../support/webhooks.js";

const run = promisify(execFile);
const CLI = new URL("../../functions/local/cli/shopcare.mjs", import.meta.url).pathname;

describe("end to end through the real HTTP server", () => {
  let shop: LocalShop;
  let clock: VirtualClock;
  let failures: string[];
  let http: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    ({ shop, clock, failures } = await virtualShop("2026-06-18T10:00:00+08:00"));
    http = await startHttpServer(shop.routes);
  });
  afterAll(async () => {
    shop.stop();
    await http.close();
  });

  const post = (body: string) => postGeneric(http.url, body, clock.now());

  it("accepts an order webhook with 202 and sends the reminder from it", async () => {
    const response = await post(JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "web1" })));
    expect(response.status).toBe(202);
    const { id, accepted } = (await response.json()) as { id: string; accepted: number };
    expect(accepted).toBe(1);
    // Kept and handed to the queue; only a later copy's confirmed enqueue marks it `accepted`.
    expect(await shop.store.getWebhook(id)).toMatchObject({
      source: "generic",
      status: "received",
      events: 1,
    });

    await shop.queue.drain();
    await clock.advanceTo(new Date("2026-06-18T11:00:00+08:00"));
    const sms = (await shop.store.listOutbox()).filter((entry) => entry.kind === "sms");
    expect(sms).toHaveLength(1);
    expect(sms[0]?.text).toContain("web1");
    expect(failures).toEqual([]);
  });

  it("accepts a JSON array of events", async () => {
    const response = await post(
      JSON.stringify([
        orderCreated("2026-06-18T11:00:00+08:00", { id: "web2" }),
        { type: "order.paid", at: "2026-06-18T11:01:00+08:00", orderId: "web2" },
      ]),
    );
    expect(response.status).toBe(202);
    expect(((await response.json()) as { accepted: number }).accepted).toBe(2);
  });

  it("answers 400 naming the field, and keeps the rejected body for the operator", async () => {
    const response = await post(JSON.stringify({ type: "order.paid", at: "yesterday", orderId: "web1" }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { id: string };
    expect(body).toMatchObject({ error: "invalid payload", field: "at" });
    expect(await shop.store.getWebhook(body.id)).toMatchObject({ status: "rejected" });

    const nested = await post(
      JSON.stringify([orderCreated("2026-06-18T11:00:00+08:00"), { type: "order.paid" }]),
    );
    expect(await nested.json()).toMatchObject({ field: "[1].at" });
  });

  it("answers 400 for a body that is not JSON, 404 for an unknown route, 413 for an oversized body", async () => {
    expect((await post("{not json")).status).toBe(400);
    expect((await fetch(`${http.url}/nowhere`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await post("x".repeat(262_145))).status).toBe(413);
  });
});

describe("the shopcare CLI", () => {
  it("simulate writes decision records ordered by time", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shopcare-"));
    const events = join(dir, "events.jsonl");
    const out = join(dir, "decisions.jsonl");
    await writeFile(
      events,
      [
        JSON.stringify(orderCreated("2026-06-18T12:00:00+08:00", { id: "cli2", amount: 5000 })),
        "# comments and blank lines are skipped",
        "",
        JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00", { id: "cli1" })),
      ].join("\n"),
    );
    const config = join(dir, "config.json");
    await writeFile(
      config,
      JSON.stringify({ name: "Demo", journeys: { paymentReminder: { firstAfter: "30m" } } }),
    );
    await run(process.execPath, [CLI, "simulate", "--events", events, "--config", config, "--out", out]);
    const decisions = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(decisions.map((d) => [d.at, d.orderId, d.step, d.outcome])).toEqual([
      ["2026-06-18T10:30:00.000+08:00", "cli1", "first", "sent"],
      ["2026-06-18T12:30:00.000+08:00", "cli2", "first", "handoff"],
      ["2026-06-19T10:00:00.000+08:00", "cli1", "second", "sent"],
    ]);
    expect(decisions[0].text).toMatch(/^【Demo】/);
  });

  it("simulate stops on a malformed event with its line number and field", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shopcare-"));
    const events = join(dir, "events.jsonl");
    await writeFile(
      events,
      `${JSON.stringify(orderCreated("2026-06-18T10:00:00+08:00"))}\n{"type":"order.shipped","at":"2026-06-18T10:00:00+08:00","orderId":"o1"}\n`,
    );
    const failure = await run(process.execPath, [CLI, "simulate", "--events", events]).catch(
      (error) => error,
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("line 2: carrier:");
  });

  it("rejects a bad --config naming the path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shopcare-"));
    const config = join(dir, "config.json");
    await writeFile(config, JSON.stringify({ journeys: { paymentReminder: { firstAfter: "soon" } } }));
    const events = join(dir, "events.jsonl");
    await writeFile(events, "");
    const failure = await run(process.execPath, [
      CLI,
      "simulate",
      "--events",
      events,
      "--config",
      config,
    ]).catch((error) => error);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain(
      'shop.journeys.paymentReminder.firstAfter: expected a duration like "60m"',
    );
  });
});
