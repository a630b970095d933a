import { writeFile } from "node:fs/promises";
import { syntheticEvents } from "../../simulator/synthetic.js";
import { defineShopcareCommand } from "../command.js";
import { UsageError } from "../errors.js";

export const generate = defineShopcareCommand({
  name: "generate",
  about: `a seeded synthetic event stream (orders, payments, shipping, parcels, reviews, refunds,
          opt-outs, returning customers) for simulate and the benchmark.`,
  options: {
    orders: { type: "string", hint: "N", about: "how many orders", required: true },
    days: { type: "string", hint: "30", about: "over how many days (default 30)" },
    seed: { type: "string", hint: "1", about: "the random seed (default 1)" },
    out: { type: "string", hint: "FILE.jsonl", about: "where to write it (default: stdout)" },
  },
  async run({ values }) {
    const orders = Number(values.orders);
    const days = Number(values.days ?? 30);
    if (!Number.isInteger(orders) || orders <= 0) throw new UsageError("generate: --orders N is required");
    if (!Number.isInteger(days) || days <= 0) throw new UsageError("generate: --days expects a whole number");
    const events = syntheticEvents({ orders, days, seed: Number(values.seed ?? 1) });
    const text = `${events.map((event) => JSON.stringify(event)).join("\n")}\n`;
    if (values.out) await writeFile(values.out, text);
    else process.stdout.write(text);
    return 0;
  },
});
