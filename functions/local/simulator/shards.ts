import type { ShopEvent } from "../../core/intake/events.js";

/** The keys an event touches: its order, its customer and the phone number, whichever it names. */
function keysOf(event: ShopEvent): string[] {
  switch (event.type) {
    case "order.created": {
      const { id, customer } = event.order;
      return [
        `order:${id}`,
        `customer:${customer.id}`,
        ...(customer.phone ? [`phone:${customer.phone}`] : []),
      ];
    }
    case "customer.opted_out":
      return [
        ...(event.customerId !== undefined ? [`customer:${event.customerId}`] : []),
        ...(event.phone !== undefined ? [`phone:${event.phone}`] : []),
      ];
    case "customer.declined":
      return [`customer:${event.customerId}`];
    default:
      return [`order:${event.orderId}`];
  }
}

/**
 * Splits an event stream into `count` streams that share no customer, order or phone number, so each can
 * be simulated on its own: everything shopcare decides for one customer (caps, opt-outs, gifts, win-back,
 * holdouts) depends only on events about that customer, their orders and their phone. Customers joined by
 * a shared phone number stay together. Groups are dealt largest first to the lightest stream, so the
 * streams carry about the same number of events; each keeps the original order.
 */
export function shardEvents(events: readonly ShopEvent[], count: number): ShopEvent[][] {
  const parent = new Map<string, string>();
  const root = (key: string): string => {
    let node = key;
    for (let up = parent.get(node); up !== undefined && up !== node; up = parent.get(node)) {
      parent.set(node, parent.get(up) ?? up);
      node = up;
    }
    if (!parent.has(node)) parent.set(node, node);
    return node;
  };
  const eventKeys = events.map(keysOf);
  for (const keys of eventKeys) {
    const [first, ...rest] = keys.map(root);
    if (first === undefined) continue;
    for (const other of rest) if (other !== first) parent.set(other, first);
  }
  const groups = new Map<string, number[]>();
  eventKeys.forEach((keys, index) => {
    const group = keys[0] === undefined ? `event:${index}` : root(keys[0]);
    const members = groups.get(group) ?? [];
    members.push(index);
    groups.set(group, members);
  });
  const shards = Array.from({ length: count }, () => [] as number[]);
  for (const members of [...groups.values()].sort((a, b) => b.length - a.length)) {
    const lightest = shards.reduce((best, shard) => (shard.length < best.length ? shard : best));
    lightest.push(...members);
  }
  return shards
    .filter((shard) => shard.length > 0)
    .map((shard) => shard.sort((a, b) => a - b).map((index) => events[index] as ShopEvent));
}
