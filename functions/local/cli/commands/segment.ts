import type { SegmentPreview } from "../../../core/customers/segments.js";
import { previewSegment } from "../../../core/customers/segments.js";
import { terminalSafeLines } from "../../../core/shared/terminal.js";
import { LOCAL_SEGMENT_PATH } from "../../console/console.js";
import { postToLocalShop } from "../admin-client.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { awsStore, segmentText, storeOfEvents } from "../crm.js";
import { UsageError } from "../errors.js";

export const segment = defineShopcareCommand({
  name: "segment",
  about: `who is in a segment of the config now: how many customers, by stage and member level, and the
          most recent buyers among them (numbers and names masked unless --show-phone). --events: the
          profiles an event file builds, judged at its last event; --url: a running \`shopcare start\`;
          --table: the deployed table (AWS credentials from the environment).`,
  positionals: "NAME",
  options: {
    events: {
      type: "string",
      hint: "FILE.jsonl",
      about: "the profiles an events file builds",
      group: "where",
      required: true,
    },
    url: URL_OPTION,
    table: { ...TABLE_OPTION, group: "where" },
    config: CONFIG_OPTION,
    sample: { type: "string", hint: "10", about: "how many recent buyers to show (default 10)", wrap: true },
    json: { type: "boolean", about: "the preview as JSON" },
    "show-phone": { type: "boolean", about: "numbers and names in clear" },
  },
  async run({ values, positionals }) {
    const [name] = positionals;
    if (!name || positionals.length > 1)
      throw new UsageError("segment: one segment NAME from the config's segments");
    const sample = values.sample === undefined ? 10 : Number(values.sample);
    if (!Number.isInteger(sample) || sample < 0)
      throw new UsageError(`segment: --sample is a whole number, got ${values.sample}`);
    const sources = [values.events, values.url, values.table].filter((source) => source !== undefined);
    if (sources.length !== 1)
      throw new UsageError(
        "segment: one of --events FILE, --url URL or --table NAME says where the customers are",
      );
    const config = await loadConfig(values.config);
    const options = { sample, showPhone: values["show-phone"] === true };
    let preview: SegmentPreview;
    if (values.url) {
      if (options.showPhone)
        process.stderr.write(
          "segment: --show-phone is the server's to set with --url (start it with --show-phone)\n",
        );
      preview = await postToLocalShop(values.url, LOCAL_SEGMENT_PATH, { name, sample }, "segment");
    } else {
      const { store, now } = values.events
        ? await storeOfEvents(values.events, config)
        : { store: await awsStore(values.table as string), now: new Date() };
      preview = await previewSegment(store, config, name, now, options);
    }
    process.stdout.write(
      values.json ? `${JSON.stringify(preview)}\n` : terminalSafeLines(segmentText(preview, config)),
    );
    return 0;
  },
});
