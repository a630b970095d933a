import { terminalSafeLines } from "../../../core/shared/terminal.js";
import { doctorClients, formatDoctor, runDoctor } from "../../aws/doctor.js";
import { CONFIG_OPTION, defineShopcareCommand, loadConfig } from "../command.js";

/** `shopcare doctor`: exit 1 when a check fails. */
export const doctor = defineShopcareCommand({
  name: "doctor",
  about: `after a deploy, checks what a first deploy gets wrong (secrets still empty, the SMS account
          in a sandbox or at its spend limit, a missing origination identity or configuration set,
          nobody subscribed to the operators' topic, alarms without data, dead letters waiting, state
          machine versions near the quota, a Chinese shop's marketing without "拒收请回复R") and says
          how to fix each; exit 1 when a check fails.
          AWS credentials and region from the environment.`,
  options: {
    stack: { type: "string", hint: "Shopcare", about: "the stack's name (default Shopcare)" },
    config: CONFIG_OPTION,
    json: { type: "boolean", about: "the checks as one JSON object" },
  },
  async run({ values }) {
    const stackName = values.stack ?? "Shopcare";
    const results = await runDoctor(stackName, doctorClients(), await loadConfig(values.config));
    const failed = results.some((result) => result.status === "fail");
    if (values.json)
      process.stdout.write(`${JSON.stringify({ stack: stackName, failed, checks: results })}\n`);
    else process.stdout.write(`${terminalSafeLines(formatDoctor(stackName, results))}\n`);
    return failed ? 1 : 0;
  },
});
