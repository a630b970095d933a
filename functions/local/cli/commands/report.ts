import { writeFile } from "node:fs/promises";
import { Store } from "../../../adapters/dynamodb/store.js";
import type { EffectReport } from "../../../core/insight/report.js";
import { reportOfStore } from "../../../core/insight/store-report.js";
import { pageShopOf, reportHtml } from "../../console/pages.js";
import { reportTable } from "../../console/report-view.js";
import { LOCAL_REPORT_PATH } from "../../emulator/runtime.js";
import { postToLocalShop } from "../admin-client.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig, TABLE_OPTION, URL_OPTION } from "../command.js";
import { UsageError } from "../errors.js";

export const report = defineShopcareCommand({
  name: "report",
  about: `what each journey sent, skipped, cost and earned (attribution, holdout lift), as a table;
          --html also writes the page with charts. --url: a running \`shopcare start\`; --table: the
          deployed table (AWS credentials from the environment).`,
  options: {
    url: { ...URL_OPTION, required: true },
    table: { ...TABLE_OPTION, group: "where" },
    html: { type: "string", hint: "FILE.html", about: "also the page with charts" },
    config: CONFIG_OPTION,
  },
  async run({ values }) {
    const config = await loadConfig(values.config);
    let found: EffectReport;
    if (values.url) {
      found = await postToLocalShop<EffectReport>(values.url, LOCAL_REPORT_PATH, {}, "report");
    } else if (values.table) {
      const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
      const store = new Store(new DynamoDBClient({}), values.table);
      found = await reportOfStore(store, config, new Date());
    } else {
      throw new UsageError("report: --url (local) or --table (AWS) says where");
    }
    process.stdout.write(reportTable(found));
    if (values.html) {
      await writeFile(values.html, reportHtml(found, pageShopOf(config)));
      process.stdout.write(`report written to ${values.html}\n`);
    }
    return 0;
  },
});
