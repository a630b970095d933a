import { readFile } from "node:fs/promises";
import type { ShopConfig } from "../core/config.js";
import { InvalidEventError, parseShopEvent, type ShopEvent } from "../core/events.js";
import type { DecisionRecord } from "../core/model.js";
import { startDynamoDbLocal } from "./dynamodb-local.js";
import type { CloudFormationTemplate } from "./engine.js";
import { createLocalShop } from "./runtime.js";
import { VirtualClock } from "./virtual-clock.js";

/** An event file line that is not a valid generic event. */
export class EventFileError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`line ${line}: ${field}: ${detail}`);
    this.name = "EventFileError";
  }
}

/**
 * Parses a JSON Lines event file (blank lines and `#` comments are skipped).
 * @throws {EventFileError} naming the line and the field at fault
 */
export function parseEventLines(text: string): ShopEvent[] {
  const events: ShopEvent[] = [];
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new EventFileError(index + 1, "(line)", `not valid JSON (${(error as Error).message})`);
    }
    try {
      events.push(parseShopEvent(json));
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      const [first] = error.problems;
      throw new EventFileError(index + 1, first?.field ?? "(event)", first?.message ?? error.message);
    }
  }
  return events;
}

/** Options of {@link simulate}. */
export interface SimulateOptions {
  readonly config: ShopConfig;
  readonly events: readonly ShopEvent[];
  /** A running DynamoDB Local to use. @default one is started and stopped for this run */
  readonly dynamo?: import("@aws-sdk/client-dynamodb").DynamoDBClient;
  /** A template synthesized earlier for this config. @default synthesized now */
  readonly template?: CloudFormationTemplate;
}

/** What a simulation produced. */
export interface SimulationResult {
  readonly decisions: DecisionRecord[];
  readonly executions: number;
  readonly transitions: number;
}

/**
 * Runs events on a virtual clock through the real synthesized state machines and handlers, and returns every
 * decision, ordered by `at`. Time starts at the first event and runs until every execution has finished.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const events = [...options.events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const first = events[0];
  if (!first) return { decisions: [], executions: 0, transitions: 0 };
  const ownDynamo = options.dynamo ? undefined : await startDynamoDbLocal();
  const clock = new VirtualClock(new Date(first.at));
  const failures: string[] = [];
  try {
    const shop = await createLocalShop({
      config: options.config,
      clock,
      activity: clock,
      dynamo: options.dynamo ?? (ownDynamo?.client as NonNullable<typeof ownDynamo>["client"]),
      template: options.template,
      retryIntervalMs: 0,
      onExecutionFailed: (name, error) => failures.push(`${name}: ${String(error)}`),
    });
    for (const event of events) {
      await clock.advanceTo(new Date(event.at));
      await shop.queue.enqueue([event], "simulate");
      await shop.queue.drain();
    }
    await clock.runUntilIdle();
    await shop.engine.drain();
    const deadLetters = await shop.store.listDeadLetters();
    if (deadLetters.length > 0)
      failures.push(...deadLetters.map((letter) => `dead letter: ${letter.error} ${letter.body}`));
    if (failures.length > 0) throw new Error(`simulation failed:\n  ${failures.join("\n  ")}`);
    const decisions = (await shop.store.listDecisions()).sort(
      (a, b) => Date.parse(a.at) - Date.parse(b.at) || a.journey.localeCompare(b.journey),
    );
    return { decisions, executions: shop.engine.started, transitions: shop.engine.transitions };
  } finally {
    await ownDynamo?.stop();
  }
}

/** Reads an event file and simulates it. */
export async function simulateFile(path: string, config: ShopConfig): Promise<SimulationResult> {
  return simulate({ config, events: parseEventLines(await readFile(path, "utf8")) });
}
