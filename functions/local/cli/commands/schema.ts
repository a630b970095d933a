import { readFile, writeFile } from "node:fs/promises";
import { shopConfigJsonSchema } from "../../../core/config/config.js";
import { defineShopcareCommand } from "../command.js";
import { withReference } from "../config-reference.js";

export const schema = defineShopcareCommand({
  name: "schema",
  about: `writes the shop config's JSON Schema (editors validate cdk.json's shop value against it);
          --docs rewrites that page's table of every setting from it.`,
  options: {
    out: { type: "string", hint: "shopcare.schema.json", about: "where to write it (default: stdout)" },
    docs: {
      type: "string",
      hint: "docs/configuration.md",
      about: "the page whose settings table to rewrite",
    },
  },
  async run({ values }) {
    const text = `${JSON.stringify(shopConfigJsonSchema(), null, 2)}\n`;
    if (values.out) await writeFile(values.out, text);
    else if (!values.docs) process.stdout.write(text);
    if (values.docs) await writeFile(values.docs, withReference(await readFile(values.docs, "utf8")));
    return 0;
  },
});
