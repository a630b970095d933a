import { type ShopcareCommand, usageOf } from "./command.js";
import { COMMANDS } from "./commands/index.js";

/**
 * The help, generated from the commands' definitions: each command's usage line (`usageOf`), what it does,
 * and its options with what each does.
 */

const CONFIG_NOTE = `--config  a JSON file shaped like cdk.json's "shop" value (defaults fill the rest);
          without it, cdk.json's "shop" is used.`;

/** Each command's usage line(s) and what it does, by name. */
export const COMMAND_HELP: Readonly<Record<string, { readonly usage: string; readonly about: string }>> =
  Object.fromEntries(
    COMMANDS.map((command) => [
      command.name,
      { usage: `shopcare ${command.name.padEnd(8)} ${usageOf(command)}`, about: command.about },
    ]),
  );

/** The command of that name, if there is one. */
export function commandNamed(name: string | undefined): ShopcareCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** The whole usage text: every command, what each does. */
export function usage(): string {
  return `shopcare — customer-care SMS journeys

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
}

/** One command's usage, what it does, and its options. */
export function commandHelp(command: ShopcareCommand): string {
  const { usage: line, about } = COMMAND_HELP[command.name] as { usage: string; about: string };
  const options = Object.entries(command.options).map(
    ([name, option]) => `  --${`${name}${option.hint ? ` ${option.hint}` : ""}`.padEnd(34)} ${option.about}`,
  );
  return `Usage:\n  ${line}\n\n${command.name.padEnd(9)} ${about}\n\nOptions:\n${options.join("\n")}\n\n${CONFIG_NOTE}`;
}
