import { describe, expect, it } from "vitest";
import { InvalidEventError, parseShopEvent } from "../../functions/core/intake/events.js";
import {
  ORDER_EVENTS,
  type OrderEventType,
  orderFactsOf,
  timeFieldOf,
} from "../../functions/core/intake/order-events.js";

const AT = "2026-06-18T10:05:00+08:00";

/** A value each required field of an entry accepts, read from its schema (a new entry needs no edit here). */
function requiredFieldsOf(type: OrderEventType): Record<string, unknown> {
  const fields = (ORDER_EVENTS[type].fields ?? {}) as Record<
    string,
    { _zod: { def: Record<string, unknown> } }
  >;
  const sample = ({ _zod: { def } }: { _zod: { def: Record<string, unknown> } }): unknown => {
    switch (def.type) {
      case "optional":
      case "default":
        return undefined;
      case "enum":
        return Object.values(def.entries as Record<string, string>)[0];
      case "number":
        return 1;
      case "boolean":
        return true;
      default:
        return def.format === "datetime" ? AT : "x";
    }
  };
  return Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, sample(schema)]));
}

describe("the events about an order, declared once", () => {
  it("validates every declared event through the generic union and sets its time on the order", () => {
    const types = Object.keys(ORDER_EVENTS) as OrderEventType[];

    const facts = types.map((type) =>
      orderFactsOf(parseShopEvent({ type, at: AT, orderId: "o1", ...requiredFieldsOf(type) }) as never),
    );

    expect(facts.map((fact) => fact.at)).toEqual(types.map(() => AT));
    expect(facts.map((fact) => fact.time)).toEqual(types.map(timeFieldOf));
  });

  it("gives every event a time of its own, so the earliest of each kind wins on its own", () => {
    const times = Object.values(ORDER_EVENTS).map((spec) => spec.time);

    expect(new Set(times).size).toBe(times.length);
  });

  it("sets what came with an event beside its time, as its entry declares", () => {
    const shipped = parseShopEvent({
      type: "order.shipped",
      at: AT,
      orderId: "o1",
      carrier: "顺丰",
      trackingNo: "SF1",
    });
    const review = parseShopEvent({
      type: "review.posted",
      at: AT,
      orderId: "o1",
      rating: "bad",
      text: "慢",
    });

    expect(orderFactsOf(shipped as never)).toEqual({
      time: "shippedAt",
      at: AT,
      details: { carrier: "顺丰", trackingNo: "SF1" },
    });
    expect(orderFactsOf(review as never)).toEqual({
      time: "reviewedAt",
      at: AT,
      details: { reviewRating: "bad", reviewAuto: false, reviewText: "慢" },
    });
  });

  it("names the field an event's declared schema rejects", () => {
    const parse = () => parseShopEvent({ type: "order.shipped", at: AT, orderId: "o1", carrier: "" });

    expect(parse).toThrow(InvalidEventError);
    expect(parse).toThrow(/carrier: .*trackingNo: /);
  });
});
