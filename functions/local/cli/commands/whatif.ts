import { writeFile } from "node:fs/promises";
import { terminalSafeLines } from "../../../core/shared/terminal.js";
import { defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { UsageError } from "../errors.js";

/** `shopcare whatif`: exit 3 when `--fail-over N` and more than N decisions changed. */
export const whatif = defineShopcareCommand({
  name: "whatif",
  about: `runs the same history under the current config (--base, else cdk.json's) and the candidate, on
          a virtual clock through the real state machines (nothing is sent), and prints per journey
          and step what was sent, skipped (by reason), handed off, spent and earned, before → after.
          --out writes one JSON line per changed decision (added, removed, moved, changed);
          --fail-over N exits 3 when more than N decisions change (a check for config pull requests).
          History: an events file, a running \`shopcare start\`'s archive, or the deployed table's
          archive (--from/--to, default the last 30 days; AWS credentials from the environment).`,
  options: {
    config: { type: "string", hint: "CANDIDATE.json", about: "the candidate config", required: true },
    events: {
      type: "string",
      hint: "FILE.jsonl",
      about: "the history: an events file",
      group: "where",
      required: true,
    },
    url: { ...URL_OPTION, about: "… a running shop's archive" },
    table: { ...TABLE_OPTION, about: "… the deployed table's archive", group: "where", wrap: true },
    from: { type: "string", hint: "TIME", about: "the archive from (default 30 days ago)" },
    to: { type: "string", hint: "TIME", about: "… until (default now)" },
    base: { type: "string", hint: "CURRENT.json", about: "the current config (default cdk.json's)" },
    out: { type: "string", hint: "FILE.jsonl", about: "one JSON line per changed decision" },
    "fail-over": { type: "string", hint: "N", about: "exit 3 when more than N decisions change", wrap: true },
    sample: {
      type: "string",
      hint: "SHARE",
      about: "replay a share of the customers (0.05 or 5%): figures estimated, with 95% intervals",
      wrap: true,
    },
    seed: { type: "string", hint: "N", about: "which customers --sample draws (default 1)" },
  },
  async run({ values }) {
    if (!values.config) throw new UsageError("whatif: --config candidate.json is required");
    const failOver = values["fail-over"] === undefined ? undefined : Number(values["fail-over"]);
    if (failOver !== undefined && !(Number.isInteger(failOver) && failOver >= 0))
      throw new UsageError(`whatif: --fail-over is a whole number, got ${values["fail-over"]}`);
    const draw = await sampleOption(values.sample, values.seed);
    const { whatIf, whatIfHistory, whatIfSample, whatIfTable, WHATIF_FAIL_EXIT } = await import(
      "../../simulator/whatif.js"
    );
    const [base, candidate] = await Promise.all([loadConfig(values.base), loadConfig(values.config)]);
    const sample = draw ? await whatIfSample(values, values, base, draw) : undefined;
    const events = sample ? sample.events : await whatIfHistory(values, values, base);
    const result = await whatIf({ events, base, candidate, sample });
    if (result.sample) {
      const { sampledWhatIfTable } = await import("../../simulator/whatif-sample.js");
      process.stdout.write(terminalSafeLines(sampledWhatIfTable(result.sample)));
    } else process.stdout.write(terminalSafeLines(whatIfTable(result)));
    if (values.out) {
      const lines = result.changes.map((change) => JSON.stringify(change)).join("\n");
      await writeFile(values.out, lines === "" ? "" : `${lines}\n`);
      process.stdout.write(`${result.changes.length} changed decisions written to ${values.out}\n`);
    }
    // A sample is judged by its interval's upper end: what may change, not what probably does.
    const changing = result.sample ? Math.ceil(result.sample.changes.high) : result.changes.length;
    if (failOver !== undefined && changing > failOver) {
      process.stderr.write(
        result.sample
          ? `whatif: up to ${changing} decisions may change (the 95% interval's upper end), more than --fail-over ${failOver}\n`
          : `whatif: ${changing} decisions change, more than --fail-over ${failOver}\n`,
      );
      return WHATIF_FAIL_EXIT;
    }
    return 0;
  },
});

/** `--sample` and `--seed`, checked: the share drawn and the seed, or undefined without `--sample`. */
async function sampleOption(sample: string | undefined, seed: string | undefined) {
  if (sample === undefined) {
    if (seed !== undefined) throw new UsageError("whatif: --seed goes with --sample");
    return undefined;
  }
  const { parseSampleFraction } = await import("../../simulator/sample.js");
  let fraction: number;
  try {
    fraction = parseSampleFraction(sample);
  } catch (error) {
    throw new UsageError(`whatif: ${(error as Error).message}`);
  }
  const seedNumber = seed === undefined ? 1 : Number(seed);
  if (!Number.isInteger(seedNumber) || seedNumber < 0)
    throw new UsageError(`whatif: --seed is a whole number, got ${seed}`);
  return { fraction, seed: seedNumber };
}
