import type { ShopEvent } from "../../core/intake/events.js";

/** Options of {@link syntheticEvents}. */
export interface SyntheticOptions {
  /** Orders to create. */
  readonly orders: number;
  /** Days the orders are spread over. */
  readonly days: number;
  /** First day, shop time (`YYYY-MM-DD`). @default "2026-06-01" */
  readonly start?: string;
  /** Same seed, same stream. @default 1 */
  readonly seed?: number;
  /** Share of orders placed by a returning customer. @default 0.3 */
  readonly repeatShare?: number;
}

/** A small seeded PRNG (mulberry32): the stream must be the same on every machine and run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ["tea", "snacks", "skincare", "home"] as const;
const NAMES = ["王芳", "李雷", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周杰", "吴昊"] as const;
const MINUTE = 60_000;

/**
 * A realistic synthetic event stream for `simulate` and the benchmark: orders through the day (busier in
 * the evening), most paid at once, some after a while, some never; shipping, parcel tracking, reviews
 * (mostly good, some automatic, a few bad), refunds, opt-outs and returning customers. Times in
 * Asia/Shanghai.
 */
export function syntheticEvents(options: SyntheticOptions): ShopEvent[] {
  const events: ShopEvent[] = [];
  for (const orderEvents of syntheticOrders(options)) events.push(...orderEvents);
  return events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * The same stream as {@link syntheticEvents}, one order's events at a time (each order's in time order,
 * the orders not): a month of a million orders written to a file without being held.
 */
export function* syntheticOrders(options: SyntheticOptions): Generator<ShopEvent[]> {
  const next = seededRandom(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const start = Date.parse(`${options.start ?? "2026-06-01"}T00:00:00+08:00`);
  const iso = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace("Z", "+08:00");
  const customers: string[] = [];
  for (let index = 0; index < options.orders; index += 1) {
    const events: ShopEvent[] = [];
    const orderId = `s${index + 1}`;
    const returning = customers.length > 0 && next() < (options.repeatShare ?? 0.3);
    const customerId = returning ? pick(customers) : `sc${customers.length + 1}`;
    if (!returning) customers.push(customerId);
    const phone = `+86139${String(Number(customerId.slice(2)) % 100_000_000).padStart(8, "0")}`;
    // Busier from 19:00 to 23:00, quiet at night.
    const day = Math.floor(next() * options.days);
    const hour = next() < 0.4 ? 19 + Math.floor(next() * 4) : 8 + Math.floor(next() * 11);
    const created = start + day * 86_400_000 + hour * 3_600_000 + Math.floor(next() * 60) * MINUTE;
    const price = Math.round((29 + next() * 300) * 100) / 100;
    const gift = next() < 0.05;
    events.push({
      type: "order.created",
      at: iso(created),
      order: {
        id: orderId,
        customer: { id: customerId, phone, name: pick(NAMES) },
        amount: price,
        currency: "CNY",
        paymentMethod: next() < 0.03 ? "cod" : "online",
        gift,
        items: [{ sku: `sku-${Math.floor(next() * 50)}`, category: pick(CATEGORIES), quantity: 1, price }],
      },
    } as ShopEvent);
    const payment = next();
    // 75% pay within minutes, 15% within a day (some after a reminder), 10% never.
    const paidAfter =
      payment < 0.75 ? (1 + next() * 9) * MINUTE : payment < 0.9 ? (30 + next() * 1_400) * MINUTE : undefined;
    if (paidAfter === undefined) {
      yield events;
      continue;
    }
    const paid = created + paidAfter;
    events.push({ type: "order.paid", at: iso(paid), orderId });
    const shipped = paid + (10 + next() * 30) * 60 * MINUTE;
    events.push({
      type: "order.shipped",
      at: iso(shipped),
      orderId,
      carrier: pick(["SF", "YTO", "ZTO", "JD"]),
      trackingNo: `T${index + 100_000}`,
    });
    const arrived = shipped + (18 + next() * 30) * 60 * MINUTE;
    events.push({ type: "parcel.arrived_city", at: iso(arrived), orderId });
    if (next() < 0.2) events.push({ type: "parcel.arrived_city", at: iso(arrived + 7 * MINUTE), orderId });
    const delivered = arrived + (6 + next() * 20) * 60 * MINUTE;
    events.push({ type: "parcel.delivered", at: iso(delivered), orderId });
    const after = next();
    if (after < 0.03) {
      events.push({ type: "refund.completed", at: iso(delivered + 2 * 86_400_000), orderId, amount: price });
    } else if (after < 0.6) {
      const rating = next();
      events.push({
        type: "review.posted",
        at: iso(delivered + (1 + next() * 5) * 86_400_000),
        orderId,
        rating: rating < 0.85 ? "good" : rating < 0.95 ? "neutral" : "bad",
        auto: next() < 0.15,
      } as ShopEvent);
    }
    if (next() < 0.02) events.push({ type: "customer.opted_out", at: iso(delivered + 86_400_000), phone });
    yield events;
  }
}
