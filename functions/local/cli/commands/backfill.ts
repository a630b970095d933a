import { backfillProfiles } from "../../../core/customers/segments.js";
import { defineShopcareCommand, TABLE_OPTION } from "../command.js";
import { awsStore } from "../crm.js";
import { UsageError } from "../errors.js";

/** `shopcare backfill --table NAME`: the customer profiles of a table deployed before they were kept. */
export const backfill = defineShopcareCommand({
  name: "backfill",
  about: `writes the customer profiles (what segments and campaigns read) of a table deployed before they
          were kept, from its orders: each paid order once; running it again changes nothing. AWS
          credentials from the environment.`,
  options: {
    table: { ...TABLE_OPTION, required: true },
  },
  async run({ values }) {
    if (!values.table)
      throw new UsageError("backfill: --table NAME (the stack output TableName) is required");
    const result = await backfillProfiles(await awsStore(values.table));
    process.stdout.write(
      `kept ${result.kept} paid orders of ${result.customers} customers on their profiles (${result.orders - result.kept} of ${result.orders} orders not paid or not known yet)\n`,
    );
    return 0;
  },
});
