/**
 * The command line's help and error conventions: `--help` on every command, the closest option for a
 * mistyped one, and a user's mistake in one line (a stack trace only with `SHOPCARE_DEBUG=1`).
 */

/** Thrown for wrong command-line use; printed with the command's help hint, exit code 2. */
export class UsageError extends Error {}

/** Each command's usage line(s) and what it does. */
export const COMMAND_HELP = {
  start: {
    usage:
      "shopcare start    [--port 3000] [--config FILE.json] [--store dynamodb-local|memory] [--show-phone]",
    about: `runs the shop locally: the webhook API, the real state machines on the local engine, the outbox
          instead of SMS. The table is DynamoDB Local (Java 17+); without Java, or with --store memory,
          it is kept in memory (the same semantics, gone when the shop stops). The console and admin
          routes answer only their own page on 127.0.0.1/localhost, with a per-run token; numbers and
          names show in clear there only with --show-phone.`,
  },
  simulate: {
    usage: `shopcare simulate --events FILE.jsonl [--config FILE.json] [--out FILE.jsonl] [--report FILE.html]
                   [--store dynamodb-local|memory] [--workers N]`,
    about: `runs an event file on a virtual clock through the synthesized state machines and the real
          handlers, and prints every decision. --store memory keeps the table in memory instead of
          DynamoDB Local (the same semantics, no Java, about fifty times faster); with it, --workers N
          spreads the customers over N threads (each with 1/N of the send rate, so sends due at
          one instant may take other sub-second slots).`,
  },
  report: {
    usage:
      "shopcare report   (--url http://127.0.0.1:3000 | --table NAME) [--html FILE.html] [--config FILE.json]",
    about: `what each journey sent, skipped, cost and earned (attribution, holdout lift), as a table;
          --html also writes the page with charts. --url: a running \`shopcare start\`; --table: the
          deployed table (AWS credentials from the environment).`,
  },
  replay: {
    usage: `shopcare replay   (--dead-letters | --from TIME --to TIME [--source generic|shopify|kuaidi100])
                    (--url http://127.0.0.1:3000 | --table NAME --queue-url URL [--dlq-arn ARN])`,
    about: `re-drives dead letters (events dispatch gave up on, kept with their error) or the archived
          webhooks of a time range, after a fix. --url: a running \`shopcare start\`; --table and
          --queue-url: the deployed stack's outputs (AWS credentials from the environment); --dlq-arn
          also moves the SQS dead-letter queue's messages back to the events queue.`,
  },
  console: {
    usage:
      "shopcare console  --table NAME [--queue-url URL] [--port 3000] [--config FILE.json] [--show-phone]",
    about: `the operators' console (as \`shopcare start\` serves it at /) on localhost against a deployed shop,
          with the operator's AWS credentials: recent decisions, a customer search with the explain
          timeline, dead letters and rejected webhooks with replay buttons (--queue-url: the stack's
          EventsQueueUrl), the effect report for a date range, and each journey as configured. It
          answers only its own page on 127.0.0.1/localhost, with a per-run token; numbers and names
          show in clear only with --show-phone.`,
  },
  explain: {
    usage: `shopcare explain  (--customer ID | --order ID | --phone P)
                    (--events FILE.jsonl [--config FILE.json] | --url http://127.0.0.1:3000 | --table NAME [--since DAYS])
                    [--json] [--show-phone]`,
    about: `one customer's or order's timeline, oldest first: each event received (type, source, webhook id),
          each decision (journey, step, outcome, reason, template, text, segments, delivery, and the
          configVersion that decided it), each reply, and each step still pending with its due time and
          the rule that set it (delay, notice window, next marketing slot, deadline). --json: JSON lines.
          Numbers are masked unless --show-phone (with --url, the server's own --show-phone decides).
          --table reads the archive of the last --since days (30).`,
  },
  whatif: {
    usage: `shopcare whatif   --config CANDIDATE.json (--events FILE.jsonl | --url http://127.0.0.1:3000 |
                    --table NAME [--from TIME] [--to TIME]) [--base CURRENT.json] [--out FILE.jsonl]
                    [--fail-over N]`,
    about: `runs the same history under the current config (--base, else cdk.json's) and the candidate, on
          a virtual clock through the real state machines (nothing is sent), and prints per journey
          and step what was sent, skipped (by reason), handed off, spent and earned, before → after.
          --out writes one JSON line per changed decision (added, removed, moved, changed);
          --fail-over N exits 3 when more than N decisions change (a check for config pull requests).
          History: an events file, a running \`shopcare start\`'s archive, or the deployed table's
          archive (--from/--to, default the last 30 days; AWS credentials from the environment).`,
  },
  doctor: {
    usage: "shopcare doctor   [--stack Shopcare] [--config FILE.json] [--json]",
    about: `after a deploy, checks what a first deploy gets wrong (secrets still empty, the SMS account
          in a sandbox or at its spend limit, a missing origination identity or configuration set,
          nobody subscribed to the operators' topic, alarms without data, dead letters waiting, state
          machine versions near the quota, a Chinese shop's marketing without "拒收请回复R") and says
          how to fix each; exit 1 when a check fails.
          AWS credentials and region from the environment.`,
  },
  segment: {
    usage: `shopcare segment  NAME (--events FILE.jsonl | --url http://127.0.0.1:3000 | --table NAME)
                    [--config FILE.json] [--sample 10] [--json] [--show-phone]`,
    about: `who is in a segment of the config now: how many customers, by stage and member level, and the
          most recent buyers among them (numbers and names masked unless --show-phone). --events: the
          profiles an event file builds, judged at its last event; --url: a running \`shopcare start\`;
          --table: the deployed table (AWS credentials from the environment).`,
  },
  campaign: {
    usage: `shopcare campaign (status|pause|resume|cancel) ID (--url http://127.0.0.1:3000 | --table NAME)
                    [--config FILE.json] [--json]`,
    about: `a campaign of the config: status prints its progress (customers looked at, members, sent,
          skipped by reason, held); pause holds it before its next page (it looks again after 5, 10 and
          20 minutes, then every half hour, and ends at until), resume carries on from where it
          stopped, cancel ends it (held messages stay unsent).`,
  },
  backfill: {
    usage: "shopcare backfill --table NAME",
    about: `writes the customer profiles (what segments and campaigns read) of a table deployed before they
          were kept, from its orders: each paid order once; running it again changes nothing. AWS
          credentials from the environment.`,
  },
  schema: {
    usage: "shopcare schema   [--out shopcare.schema.json] [--docs docs/configuration.md]",
    about: `writes the shop config's JSON Schema (editors validate cdk.json's shop value against it);
          --docs rewrites that page's table of every setting from it.`,
  },
  generate: {
    usage: "shopcare generate --orders N [--days 30] [--seed 1] [--out FILE.jsonl]",
    about: `a seeded synthetic event stream (orders, payments, shipping, parcels, reviews, refunds,
          opt-outs, returning customers) for simulate and the benchmark.`,
  },
} as const;

/** A shopcare command. */
export type CommandName = keyof typeof COMMAND_HELP;

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMAND_HELP, name);
}

const CONFIG_NOTE = `--config  a JSON file shaped like cdk.json's "shop" value (defaults fill the rest);
          without it, cdk.json's "shop" is used.`;

/** The whole usage text: every command, what each does. */
export const USAGE = `shopcare — customer-care SMS journeys

Usage:
${Object.values(COMMAND_HELP)
  .map((command) => `  ${command.usage}`)
  .join("\n")}
  shopcare --version
  shopcare COMMAND --help

${Object.entries(COMMAND_HELP)
  .map(([name, command]) => `${name.padEnd(9)} ${command.about}`)
  .join("\n")}

${CONFIG_NOTE}`;

/** One command's usage and description. */
export function commandHelp(command: CommandName): string {
  const { usage, about } = COMMAND_HELP[command];
  return `Usage:\n  ${usage}\n\n${command.padEnd(9)} ${about}\n\n${CONFIG_NOTE}`;
}

/** The options a command's usage names, e.g. `--events`. */
function optionsOf(command: CommandName): string[] {
  return [
    ...new Set([...COMMAND_HELP[command].usage.matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0])),
    "--help",
  ];
}

/** Edit distance between two strings (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1)
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known option closest to a mistyped one, if any is close (at most a third of it differs). */
export function closestOption(command: CommandName, option: string): string | undefined {
  const scored = optionsOf(command)
    .map((known) => ({ known, score: distance(option, known) }))
    .sort((a, b) => a.score - b.score);
  const best = scored[0];
  return best && best.score <= Math.max(2, Math.floor(option.length / 3)) ? best.known : undefined;
}

/** Node's parseArgs complaint about an unknown option, said the shopcare way. */
export function unknownOptionMessage(command: CommandName, error: Error): string | undefined {
  const option = /Unknown option '([^']+)'/.exec(error.message)?.[1];
  if (!option) return undefined;
  const closest = closestOption(command, option);
  return `${command}: unknown option ${option}${closest ? `; did you mean ${closest}?` : ""}`;
}

/**
 * A failure as one line: what went wrong, in the user's terms where the cause is theirs (a server not
 * running, a file or table that does not exist, missing credentials).
 */
export function oneLine(error: unknown): string {
  const failure = error as Error & {
    code?: string;
    cause?: { code?: string; message?: string };
    name?: string;
  };
  const cause = failure.cause?.code ?? failure.code;
  if (failure.message === "fetch failed")
    return `cannot reach the --url (${cause ?? failure.cause?.message ?? "no answer"}): is \`shopcare start\` running there?`;
  if (cause === "ENOENT") return failure.message.replace(/^ENOENT: /, "");
  if (failure.name === "ResourceNotFoundException")
    return `${failure.message} (check --table: the stack output TableName, in the region AWS_REGION names)`;
  if (failure.name === "CredentialsProviderError")
    return `no AWS credentials: ${failure.message} (set AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)`;
  return failure instanceof Error ? failure.message : String(error);
}
