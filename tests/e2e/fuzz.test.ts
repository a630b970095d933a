import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHOPIFY_TOPICS } from "../../functions/core/intake/webhooks/shopify.js";
import type { LocalShop } from "../../functions/local/emulator/runtime.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import type { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { orderCreated, virtualShop } from "../support/local.js";
import { fixture, genericHeaders, kuaidi100Form, postGeneric, shopifyHeaders } from "../support/webhooks.js";

/** Every path into a JSON value, so a mutation can reach any field, however deep. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}

/** `value` with the field at one of its paths replaced (or the whole value, for the empty path). */
function mutate(value: unknown, pick: number, replacement: unknown): unknown {
  const all = paths(value);
  const path = all[pick % all.length] ?? [];
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1) as string | number] = replacement;
  return copy;
}

/** Malformed bodies built from a valid one: a field replaced by any JSON, truncated text, or noise. */
const malformed = (valid: unknown) =>
  fc.oneof(
    fc
      .tuple(fc.nat(), fc.jsonValue())
      .map(([pick, replacement]) => JSON.stringify(mutate(valid, pick, replacement))),
    fc.nat().map((cut) => {
      const text = JSON.stringify(valid);
      return text.slice(0, cut % text.length);
    }),
    fc.json(),
    fc.string({ unit: "binary", maxLength: 400 }),
  );

describe("fuzzing the webhook routes through the real HTTP server", () => {
  let shop: LocalShop;
  let clock: VirtualClock;
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  /** The statuses one test's requests got (each test counts its own, so it holds alone). */
  let statuses = new Map<number, number>();

  beforeAll(async () => {
    ({ shop, clock } = await virtualShop("2026-06-18T10:00:00+08:00"));
    http = await startHttpServer(shop.routes);
  });
  afterAll(async () => {
    shop.stop();
    await http.close();
  });

  async function expectNo5xx(path: string, body: string, headers: Record<string, string>): Promise<void> {
    const response = await fetch(`${http.url}${path}`, { method: "POST", body, headers });
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const answer = await response.text();
    expect(response.status, `${path} ${body.slice(0, 200)} → ${answer}`).toBeLessThan(500);
    expect(() => JSON.parse(answer)).not.toThrow();
  }

  const RUNS = 800;

  /** After a test's runs: every request was answered 202, 400 or 401, and the server still takes a valid one. */
  async function expectOnlyClientAnswers(): Promise<void> {
    await shop.queue.drain();
    const body = JSON.stringify(
      orderCreated("2026-06-18T10:00:00+08:00", { id: `after-fuzz-${Math.random()}` }),
    );
    const response = await postGeneric(http.url, body, clock.now());
    expect(response.status).toBe(202);
    const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThanOrEqual(RUNS);
    expect([...statuses.keys()].every((status) => [202, 400, 401].includes(status))).toBe(true);
  }

  it("generic: signed malformed events and arrays get 400s or 202s, never a 5xx", async () => {
    statuses = new Map();
    const valid = [orderCreated("2026-06-18T10:00:00+08:00", { id: "fz" })];
    await fc.assert(
      fc.asyncProperty(malformed(valid), fc.boolean(), async (body, signed) => {
        const headers = signed ? genericHeaders(body, clock.now()) : { "content-type": "application/json" };
        await expectNo5xx("/webhooks/generic", body, headers);
      }),
      { numRuns: RUNS },
    );
    await expectOnlyClientAnswers();
  });

  it("Shopify: signed malformed orders under every topic get 400s or 202s, never a 5xx", async () => {
    statuses = new Map();
    const valid = JSON.parse(fixture("shopify-orders-create.json"));
    // Every topic shopcare maps, and one it does not.
    const topics = [...SHOPIFY_TOPICS, "x/y"];
    await fc.assert(
      fc.asyncProperty(malformed(valid), fc.constantFrom(...topics), fc.uuid(), async (body, topic, id) => {
        await expectNo5xx("/webhooks/shopify", body, shopifyHeaders(body, topic, id));
      }),
      { numRuns: RUNS },
    );
    await expectOnlyClientAnswers();
  });

  it("Kuaidi100: signed malformed pushes and broken forms get 400s or 202s, never a 5xx", async () => {
    statuses = new Map();
    const valid = JSON.parse(fixture("kuaidi100-push.json"));
    const form = { "content-type": "application/x-www-form-urlencoded" };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformed(valid).map((param) => kuaidi100Form(param)),
          fc.string({ maxLength: 300 }),
        ),
        fc.constantFrom("", "?orderId=fz", "?orderId="),
        async (body, query) => {
          await expectNo5xx(`/webhooks/kuaidi100${query}`, body, form);
        },
      ),
      { numRuns: RUNS },
    );
    await expectOnlyClientAnswers();
  });
});
