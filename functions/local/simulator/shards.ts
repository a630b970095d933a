import type { ShopEvent } from "../../core/intake/events.js";

/** A customer's keys: their id and, when known, their phone number. */
const customerKeys = (customerId: string | undefined, phone: string | undefined) => [
  ...(customerId !== undefined ? [`customer:${customerId}`] : []),
  ...(phone !== undefined ? [`phone:${phone}`] : []),
];

/**
 * The keys an event touches: its order, its customer and the phone number, whichever it names. A shop-wide
 * event (`shop.redact`) touches none: it is a group of its own.
 */
export function keysOf(event: ShopEvent): string[] {
  switch (event.type) {
    case "order.created": {
      const { id, customer } = event.order;
      return [`order:${id}`, ...customerKeys(customer.id, customer.phone)];
    }
    case "customer.opted_out":
    case "customer.consent":
      return customerKeys(event.customerId, event.phone);
    case "customer.declined":
    case "customer.redact":
    case "customer.data_request":
      return [`customer:${event.customerId}`];
    case "customer.updated":
      return customerKeys(event.customer.id, event.customer.phone);
    case "checkout.updated":
      return [
        `checkout:${event.checkout.token}`,
        ...customerKeys(event.checkout.customer?.id, event.checkout.customer?.phone),
      ];
    case "shop.redact":
      return [];
    default:
      return [`order:${event.orderId}`];
  }
}

/**
 * Keys joined into groups as events name them together (union–find): what the sharded and the sampled
 * simulations split a history by. Events can be added one at a time, so a history read from a file need
 * not be held.
 */
export class KeyGroups {
  private readonly parent = new Map<string, string>();

  /** Joins the keys one event names. */
  add(keys: readonly string[]): void {
    const [first, ...rest] = keys.map((key) => this.root(key));
    if (first === undefined) return;
    for (const other of rest) if (other !== first) this.parent.set(other, first);
  }

  /** The group of a key (its root), or undefined for a key no event named. */
  groupOf(key: string): string | undefined {
    return this.parent.has(key) ? this.root(key) : undefined;
  }

  /** The number of groups. */
  count(): number {
    let groups = 0;
    for (const [key, up] of this.parent) if (key === up) groups += 1;
    return groups;
  }

  private root(key: string): string {
    let node = key;
    for (let up = this.parent.get(node); up !== undefined && up !== node; up = this.parent.get(node)) {
      this.parent.set(node, this.parent.get(up) ?? up);
      node = up;
    }
    if (!this.parent.has(node)) this.parent.set(node, node);
    return node;
  }
}

/**
 * The groups of an event stream that share no customer, order or phone number: everything shopcare decides
 * for one customer (caps, opt-outs, gifts, win-back, holdouts) depends only on events about that customer,
 * their orders and their phone, so each group can be decided on its own. Customers joined by a shared phone
 * number are one group.
 * @returns each event's group (the same string for every event of a group; a shop-wide event is its own)
 */
export function groupEvents(events: readonly ShopEvent[]): string[] {
  const groups = new KeyGroups();
  const eventKeys = events.map(keysOf);
  for (const keys of eventKeys) groups.add(keys);
  return eventKeys.map((keys, index) =>
    keys[0] === undefined ? `event:${index}` : (groups.groupOf(keys[0]) as string),
  );
}

/**
 * Splits an event stream into `count` streams that share no customer, order or phone number
 * ({@link groupEvents}), so each can be simulated on its own. Groups are dealt largest first to the lightest
 * stream, so the streams carry about the same number of events; each keeps the original order.
 */
export function shardEvents(events: readonly ShopEvent[], count: number): ShopEvent[][] {
  const groups = new Map<string, number[]>();
  groupEvents(events).forEach((group, index) => {
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
