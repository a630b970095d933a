import type { ShopcareCommand } from "../command.js";
import { backfill } from "./backfill.js";
import { campaign } from "./campaign.js";
import { connect } from "./connect.js";
import { consoleCommand } from "./console.js";
import { exportCommand, forget } from "./data-rights.js";
import { doctor } from "./doctor.js";
import { explain } from "./explain.js";
import { generate } from "./generate.js";
import { importCommand } from "./import.js";
import { replay } from "./replay.js";
import { report } from "./report.js";
import { schema } from "./schema.js";
import { segment } from "./segment.js";
import { simulate } from "./simulate.js";
import { start } from "./start.js";
import { whatif } from "./whatif.js";

/** Every `shopcare` command, in the order the help lists them. */
export const COMMANDS: readonly ShopcareCommand[] = [
  start,
  simulate,
  report,
  replay,
  consoleCommand,
  explain,
  forget,
  exportCommand,
  whatif,
  doctor,
  connect,
  importCommand,
  segment,
  campaign,
  backfill,
  schema,
  generate,
] as unknown as readonly ShopcareCommand[];
