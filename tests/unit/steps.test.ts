import { describe, expect, it } from "vitest";
import { parseShopConfig } from "../../functions/core/config/config.js";
import type { SmsMessage } from "../../functions/core/config/messaging.js";
import { advanceStep, type DeliverDeps, planStep } from "../../functions/core/engine/decide.js";
import type { ShortLink } from "../../functions/core/engine/links.js";
import type { Clock } from "../../functions/core/shared/clock.js";
import type {
  CustomerRecord,
  DecisionRecord,
  ExecutionState,
  OrderRecord,
} from "../../functions/core/shared/model.js";
import type {
  CapReservation,
  ExecutionEntry,
  LastSend,
  LedgerEntry,
  StepRepositories,
  Touch,
} from "../../functions/core/shared/ports.js";

/** The step repositories as plain maps: core runs on a fake port, no DynamoDB underneath. */
class FakeRepositories implements StepRepositories {
  readonly orders = new Map<string, OrderRecord>();
  readonly customers = new Map<string, CustomerRecord>();
  readonly ledger = new Map<string, LedgerEntry>();
  readonly touches = new Map<string, Touch>();
  /** How often each method was called. */
  readonly calls: Record<string, number> = {};

  private count(method: string) {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }
  async getOrder(orderId: string) {
    this.count("getOrder");
    return this.orders.get(orderId);
  }
  async listCustomerOrders(customerId: string) {
    this.count("listCustomerOrders");
    return [...this.orders.values()].filter((order) => order.customerId === customerId);
  }
  async getCustomer(customerId: string) {
    this.count("getCustomer");
    return this.customers.get(customerId);
  }
  async getNumberMarketing() {
    return undefined;
  }
  async getCheckout() {
    return undefined;
  }
  async listLedger(journey: string, subjectId: string) {
    const prefix = `${journey}|${subjectId}|`;
    return new Map(
      [...this.ledger]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, entry]) => [key.slice(prefix.length), entry]),
    );
  }
  async claimStep(journey: string, subjectId: string, step: string, at: string) {
    const key = `${journey}|${subjectId}|${step}`;
    if (this.ledger.has(key)) return false;
    this.ledger.set(key, { status: "pending", claimedAt: at });
    return true;
  }
  async releaseClaim(journey: string, subjectId: string, step: string) {
    const key = `${journey}|${subjectId}|${step}`;
    if (this.ledger.get(key)?.status === "pending") this.ledger.delete(key);
  }
  async recordDecision(subjectId: string, decision: DecisionRecord, claimed: boolean) {
    const key = `${decision.journey}|${subjectId}|${decision.step}`;
    const existing = this.ledger.get(key);
    if (existing?.status === "final" || (existing && !claimed)) return false;
    this.ledger.set(key, { status: "final", ...decision });
    return true;
  }
  async putMessageRef() {}
  async reserveMarketingSend(_reservation: CapReservation) {
    return true;
  }
  async recordTouch(customerId: string, touch: Touch) {
    this.touches.set(customerId, touch);
  }
  readonly lastSends = new Map<string, LastSend>();
  async recordLastSend(phone: string, send: LastSend) {
    this.lastSends.set(phone, send);
  }
  readonly executions: ExecutionEntry[] = [];
  async recordExecution(entry: ExecutionEntry) {
    this.executions.push(entry);
  }
  readonly links = new Map<string, ShortLink>();
  async putLink(link: ShortLink) {
    if (this.links.has(link.code)) return false;
    this.links.set(link.code, link);
    return true;
  }
}

function depsAt(now: string, store: FakeRepositories, sent: SmsMessage[]): DeliverDeps {
  const clock: Clock = { now: () => new Date(now), sleepUntil: async () => {} };
  return {
    config: parseShopConfig({}),
    clock,
    store,
    sms: {
      name: "fake",
      send: async (message) => {
        sent.push(message);
        return { provider: "fake", messageId: `m${sent.length}` };
      },
    },
    operators: { notify: async () => {} },
    rateLimiter: { acquire: async () => undefined },
    coupons: {
      issue: async () => {
        throw new Error("no coupon may be issued here");
      },
    },
  };
}

function shopWithOnePaidOrder(): FakeRepositories {
  const store = new FakeRepositories();
  store.orders.set("o1", {
    orderId: "o1",
    customerId: "c1",
    createdAt: "2026-06-01T10:00:00+08:00",
    paidAt: "2026-06-01T10:05:00+08:00",
    amount: 99,
  });
  store.customers.set("c1", { customerId: "c1", phone: "+8613800000000", name: "王芳" });
  return store;
}

describe("the journey steps on fake repositories", () => {
  it("sends a 30-day gift once at its slot, through the ports alone, and records the touch", async () => {
    const store = shopWithOnePaidOrder();
    const sent: SmsMessage[] = [];
    const entry: ExecutionState = {
      journey: "gift-30",
      customerId: "c1",
      orderId: "o1",
      enteredAt: "2026-06-01T10:05:00+08:00",
    };
    const planned = await planStep(depsAt("2026-06-01T10:05:00+08:00", store, sent), entry);
    expect(planned.next).toEqual({ kind: "wait", step: "gift", sendAt: "2026-07-01T09:00:00.000Z" });

    const due = "2026-07-01T17:00:00+08:00";
    const done = await advanceStep(depsAt(due, store, sent), planned);
    const again = await advanceStep(depsAt(due, store, sent), planned);

    expect(sent.map((message) => [message.to, message.templateId, message.reference])).toEqual([
      ["+8613800000000", "gift-30.gift", "gift-30:c1:gift"],
    ]);
    expect(done.next).toEqual({ kind: "done" });
    expect(again.next).toEqual({ kind: "done" });
    expect(store.touches.get("c1")).toMatchObject({ journey: "gift-30", step: "gift" });
  });

  it("gives a step up from its template alone: the record reads no customer orders and issues no coupon", async () => {
    const store = shopWithOnePaidOrder();
    const sent: SmsMessage[] = [];
    const failed: ExecutionState = {
      journey: "gift-30",
      customerId: "c1",
      orderId: "o1",
      enteredAt: "2026-06-01T10:05:00+08:00",
      next: { kind: "send", step: "gift" },
      failure: { Error: "CouponIssueError" },
    };

    await advanceStep(depsAt("2026-07-01T17:00:00+08:00", store, sent), failed);

    expect(store.ledger.get("gift-30|c1|gift")).toMatchObject({
      status: "final",
      outcome: "skipped",
      reason: "coupon-unavailable",
      template: "gift-30.gift",
    });
    expect(sent).toEqual([]);
    expect(store.calls.listCustomerOrders ?? 0).toBe(0);
  });
});
