import { CONFIG_OPTION, defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { UsageError } from "../errors.js";

/** `shopcare explain`: one customer's or order's timeline. */
export const explain = defineShopcareCommand({
  name: "explain",
  about: `one customer's or order's timeline, oldest first: each event received (type, source, webhook id),
          each decision (journey, step, outcome, reason, template, text, segments, delivery, and the
          configVersion that decided it), each reply, and each step still pending with its due time and
          the rule that set it (delay, notice window, next marketing slot, deadline). --json: JSON lines.
          Numbers are masked unless --show-phone (with --url, the server's own --show-phone decides).
          --table reads the archive of the last --since days (30).`,
  options: {
    customer: { type: "string", hint: "ID", about: "a customer", group: "whom", required: true },
    order: { type: "string", hint: "ID", about: "an order", group: "whom" },
    phone: { type: "string", hint: "P", about: "a phone number", group: "whom" },
    events: {
      type: "string",
      hint: "FILE.jsonl",
      about: "an events file, simulated here",
      group: "where",
      required: true,
      wrap: true,
    },
    url: URL_OPTION,
    table: { ...TABLE_OPTION, group: "where" },
    since: { type: "string", hint: "DAYS", about: "with --table: the archive's last DAYS (default 30)" },
    config: CONFIG_OPTION,
    json: { type: "boolean", about: "JSON lines", wrap: true },
    "show-phone": { type: "boolean", about: "numbers in clear" },
  },
  async run({ values }) {
    const subjects = [
      values.customer !== undefined ? { customer: values.customer } : undefined,
      values.order !== undefined ? { order: values.order } : undefined,
      values.phone !== undefined ? { phone: values.phone } : undefined,
    ].filter((subject) => subject !== undefined);
    if (subjects.length !== 1)
      throw new UsageError("explain: one of --customer ID, --order ID or --phone P says whom to explain");
    const sinceDays = values.since === undefined ? undefined : Number.parseInt(values.since, 10);
    if (sinceDays !== undefined && !(sinceDays > 0))
      throw new UsageError(`explain: --since is a number of days, got ${values.since}`);
    const { explainTimeline, formatTimeline } = await import("../explain-command.js");
    const config = await loadConfig(values.config);
    const timeline = await explainTimeline(
      config,
      subjects[0] as NonNullable<(typeof subjects)[number]>,
      { events: values.events, url: values.url, table: values.table, sinceDays },
      { showPhone: values["show-phone"] === true },
    );
    if (timeline.length === 0) process.stderr.write("explain: nothing is known of that subject\n");
    process.stdout.write(formatTimeline(timeline, config, values.json === true));
    return 0;
  },
});
