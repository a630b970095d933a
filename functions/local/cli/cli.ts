import { readFile } from "node:fs/promises";
import { ConfigError } from "../../core/config/config.js";
import { terminalSafe, terminalSafeLines } from "../../core/shared/terminal.js";
import { parseCommandArgs } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { oneLine, UsageError } from "./errors.js";
import { commandHelp, commandNamed, usage } from "./help.js";

/**
 * `shopcare`: one file per command (`commands/`), parsed with citty against its definition, the help
 * generated from the definitions (`help.ts`). A user's mistake is one line and exit code 2; a failure one
 * line and exit code 1; a command may answer its own code (doctor 1, whatif 3).
 */

/** The package's version, for `shopcare --version`. */
async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/** Runs the `shopcare` command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = commandNamed(name);
  if (command && (args.includes("--help") || args.includes("-h"))) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  try {
    if (command) return (await command.run(parseCommandArgs(command, args))) ?? 0;
    switch (name) {
      case "--version":
      case "-v":
        process.stdout.write(`shopcare ${await version()}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${usage()}\n`);
        return 0;
      default:
        throw new UsageError(
          `unknown command "${name}"; the commands are ${COMMANDS.map((known) => known.name).join(", ")}`,
        );
    }
  } catch (error) {
    // A user's mistake is one line on stderr; only SHOPCARE_DEBUG=1 shows where it came from.
    if (process.env.SHOPCARE_DEBUG === "1") process.stderr.write(`${(error as Error).stack ?? error}\n`);
    const help = command ? ` (shopcare ${command.name} --help)` : " (shopcare --help)";
    if (error instanceof UsageError) {
      process.stderr.write(`${terminalSafe(error.message)}${help}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${terminalSafeLines(error.message)}\n`);
      return 1;
    }
    process.stderr.write(`${terminalSafe(oneLine(error))}\n`);
    return 1;
  }
}
