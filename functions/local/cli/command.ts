import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type ArgsDef, parseArgs } from "citty";
import { parseShopConfig, type ShopConfig } from "../../core/config/config.js";
import { closestOption, UsageError } from "./errors.js";

/** One option of a command: how it is parsed, and what its help says. */
export interface OptionDef {
  readonly type: "string" | "boolean";
  /** The value's placeholder in the usage line, e.g. `FILE.json`, `3000`. */
  readonly hint?: string;
  /** What it does (the command's help lists it). */
  readonly about: string;
  /**
   * Options of one group are alternatives, shown `(--url URL | --table NAME)` when one of them is required
   * (`required` on the group's first option), else `[--a A | --b B]`.
   */
  readonly group?: string;
  /** Required (alone, or — on a group's first option — one of its group). */
  readonly required?: boolean;
  /** Starts a new usage line (long commands wrap where their definition says). */
  readonly wrap?: boolean;
}

/** The options of a command, by name (`--name`). */
export type OptionDefs = Readonly<Record<string, OptionDef>>;

/** What a command's run receives: its options' values by name, and its positional arguments. */
export interface CommandInput<O extends OptionDefs> {
  readonly values: {
    readonly [K in keyof O]: O[K]["type"] extends "boolean" ? boolean | undefined : string | undefined;
  };
  readonly positionals: readonly string[];
}

/** A `shopcare` command: its name, help and options (parsed by citty), and what it runs. */
export interface ShopcareCommand<O extends OptionDefs = OptionDefs> {
  readonly name: string;
  /** What it does: the command's help, and the general help's list. */
  readonly about: string;
  /** Its positional arguments as the usage line shows them, e.g. `NAME`. @default none taken */
  readonly positionals?: string;
  readonly options: O;
  /** Runs it: the exit code (0 when it returns nothing). */
  run(input: CommandInput<O>): Promise<number | undefined>;
}

/** Declares a command (types its options' values). */
export function defineShopcareCommand<const O extends OptionDefs>(
  command: ShopcareCommand<O>,
): ShopcareCommand<O> {
  return command;
}

/** The option every command reads its shop config with. */
export const CONFIG_OPTION = {
  type: "string",
  hint: "FILE.json",
  about: "the shop config (cdk.json's \"shop\" value shape; defaults fill the rest); without it, cdk.json's",
} as const satisfies OptionDef;

/** `--url`: a running `shopcare start`, one of the places a command reads (the group `where`). */
export const URL_OPTION = {
  type: "string",
  hint: "http://127.0.0.1:3000",
  about: "a running shop",
  group: "where",
} as const satisfies OptionDef;

/** `--table`: the deployed shop's table (with the operator's AWS credentials). */
export const TABLE_OPTION = {
  type: "string",
  hint: "NAME",
  about: "the deployed table (stack output TableName)",
} as const satisfies OptionDef;

/**
 * Parses a command's arguments with citty, holding them to the command's definition: an option it does not
 * define is refused naming the closest one, a string option needs its value, and positional arguments are
 * taken only by a command that declares them.
 * @throws {UsageError} naming the command and what is wrong
 */
export function parseCommandArgs<O extends OptionDefs>(
  command: ShopcareCommand<O>,
  rawArgs: readonly string[],
): CommandInput<O> {
  const names = Object.keys(command.options);
  const known = [...names.map((name) => `--${name}`), "--help"];
  for (const [index, token] of rawArgs.entries()) {
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-") continue;
    const option = token.split("=")[0] as string;
    const definition = command.options[option.replace(/^--/, "")];
    if (!option.startsWith("--") || !definition) {
      const closest = closestOption(known, option);
      throw new UsageError(
        `${command.name}: unknown option ${option}${closest ? `; did you mean ${closest}?` : ""}`,
      );
    }
    const next = rawArgs[index + 1];
    if (definition.type === "string" && !token.includes("=") && (next === undefined || next.startsWith("--")))
      throw new UsageError(`${command.name}: ${option} needs a value`);
  }
  const argsDef: ArgsDef = Object.fromEntries(
    Object.entries(command.options).map(([name, option]) => [name, { type: option.type }]),
  );
  const parsed = parseArgs([...rawArgs], argsDef);
  if (!command.positionals && parsed._.length > 0)
    throw new UsageError(`${command.name}: unexpected argument ${parsed._[0]}`);
  const values = Object.fromEntries(names.map((name) => [name, parsed[name]]));
  return { values, positionals: parsed._ } as unknown as CommandInput<O>;
}

/** The usage line after `shopcare NAME`, generated from the definition. */
export function usageOf(command: ShopcareCommand): string {
  const parts: { text: string; wrap: boolean }[] = [];
  if (command.positionals) parts.push({ text: command.positionals, wrap: false });
  const entries = Object.entries(command.options);
  const shown = (name: string, option: OptionDef) => `--${name}${option.hint ? ` ${option.hint}` : ""}`;
  for (let index = 0; index < entries.length; index += 1) {
    const [name, option] = entries[index] as [string, OptionDef];
    const group = [shown(name, option)];
    while (option.group && (entries[index + 1]?.[1] as OptionDef | undefined)?.group === option.group) {
      index += 1;
      const [nextName, next] = entries[index] as [string, OptionDef];
      group.push(shown(nextName, next));
    }
    const text = group.join(" | ");
    parts.push({
      text:
        group.length > 1
          ? option.required
            ? `(${text})`
            : `[${text}]`
          : option.required
            ? text
            : `[${text}]`,
      wrap: option.wrap === true,
    });
  }
  // Continuation lines align under the first option, the help indenting every usage line by two.
  const indent = " ".repeat(`  shopcare ${command.name.padEnd(8)} `.length);
  return parts
    .map((part, index) => `${index > 0 && part.wrap ? `\n${indent}` : index > 0 ? " " : ""}${part.text}`)
    .join("");
}

/** Reads the shop config: `--config FILE`, else cdk.json's `shop`. */
export async function loadConfig(path: string | undefined): Promise<ShopConfig> {
  return parseShopConfig((await rawConfig(path)).raw);
}

/** The shop config as written, before validation, and the file it is in (`--config FILE`, else cdk.json). */
export async function rawConfig(
  path: string | undefined,
): Promise<{ readonly raw: unknown; readonly file: string; readonly inCdkJson: boolean }> {
  if (path) return { raw: JSON.parse(await readFile(path, "utf8")), file: path, inCdkJson: false };
  const file = fileURLToPath(new URL("../../../cdk.json", import.meta.url));
  const cdk = JSON.parse(await readFile(file, "utf8"));
  return { raw: cdk.context?.shop, file, inCdkJson: true };
}

/**
 * A `--port` option's value, 3000 when not given.
 * @param problem what a value that is no port number is told
 */
export function portOf(value: string | undefined, problem: string): number {
  const port = value === undefined ? 3000 : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(problem);
  return port;
}
