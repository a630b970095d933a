import { inject } from "vitest";
import { parseShopConfig, type ShopConfig } from "../../functions/core/config/config.js";
import type { ShopEvent } from "../../functions/core/intake/events.js";
import type { DecisionRecord } from "../../functions/core/shared/model.js";
import { consoleRoutes } from "../../functions/local/console/console.js";
import { createTableFromTemplate, localDynamoClient } from "../../functions/local/emulator/dynamodb-local.js";
import type { CloudFormationTemplate } from "../../functions/local/emulator/engine.js";
import {
  createLocalShop,
  type LocalShop,
  type LocalShopOptions,
} from "../../functions/local/emulator/runtime.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { VirtualClock } from "../../functions/local/emulator/virtual-clock.js";
import { simulate } from "../../functions/local/simulator/simulate.js";

const templates = new Map<string, CloudFormationTemplate>();

/** The synthesized template for a config, synthesized once per test file. */
export function templateFor(config: ShopConfig): CloudFormationTemplate {
  const key = JSON.stringify(config);
  let template = templates.get(key);
  if (!template) {
    template = synthesizeTemplate(config);
    templates.set(key, template);
  }
  return template;
}

/** A client for the suite's DynamoDB Local. */
export function dynamo() {
  return localDynamoClient(inject("dynamoEndpoint"));
}

/** A fresh, empty table on the suite's DynamoDB Local, made from the synthesized template. @returns its name */
export async function freshTable(prefix: string): Promise<string> {
  const tableName = `${prefix}-${Date.now()}`;
  await createTableFromTemplate(dynamo(), templateFor(parseShopConfig({})), tableName);
  return tableName;
}

/** Runs `simulate` against the suite's DynamoDB Local. */
export async function runSimulation(events: ShopEvent[], rawConfig: unknown = {}): Promise<DecisionRecord[]> {
  const config = parseShopConfig(rawConfig);
  const result = await simulate({ config, events, dynamo: dynamo(), template: templateFor(config) });
  return result.decisions;
}

/** A local shop on a virtual clock starting at `start`. */
export async function virtualShop(
  start: string,
  rawConfig: unknown = {},
  options: Partial<LocalShopOptions> = {},
): Promise<{ shop: LocalShop; clock: VirtualClock; failures: string[] }> {
  const config = parseShopConfig(rawConfig);
  const clock = new VirtualClock(new Date(start));
  const failures: string[] = [];
  const shop = await createLocalShop({
    config,
    clock,
    activity: clock,
    dynamo: dynamo(),
    template: templateFor(config),
    retryIntervalMs: 0,
    onExecutionFailed: (name, error) => failures.push(`${name}: ${String(error)}`),
    operatorRoutes: consoleRoutes,
    ...options,
  });
  return { shop, clock, failures };
}

let orderSeq = 0;

/** An `order.created` event; override what the test is about. */
export function orderCreated(
  at: string,
  overrides: {
    id?: string;
    customerId?: string;
    amount?: number;
    paymentMethod?: "online" | "cod";
    name?: string;
    phone?: string;
    items?: { category: string }[];
    phoneExpiresAt?: string;
  } = {},
): ShopEvent {
  orderSeq += 1;
  const id = overrides.id ?? `o${orderSeq}`;
  return {
    type: "order.created",
    at,
    order: {
      id,
      customer: {
        id: overrides.customerId ?? `c-${id}`,
        phone: overrides.phone ?? "+8613800000000",
        name: overrides.name ?? "王芳",
        ...(overrides.phoneExpiresAt ? { phoneExpiresAt: overrides.phoneExpiresAt } : {}),
      },
      amount: overrides.amount ?? 129,
      currency: "CNY",
      paymentMethod: overrides.paymentMethod ?? "online",
      gift: false,
      items: (overrides.items ?? []).map((item) => ({ quantity: 1, ...item })),
    },
  } as ShopEvent;
}

/** The fields of decisions a test compares: when, which step, what happened and why. */
export function summary(decisions: readonly DecisionRecord[]) {
  return decisions.map((d) => ({
    at: d.at,
    orderId: d.orderId,
    step: d.step,
    outcome: d.outcome,
    reason: d.reason,
  }));
}

/**
 * One journey's decisions with the fields a test compares: when, step, order, outcome, reason (if any),
 * template, and `extra` (the text, or the number it went to) when set.
 */
export function decisionsOf(journey: string, decisions: readonly DecisionRecord[], extra: "text" | "to") {
  return decisions
    .filter((decision) => decision.journey === journey)
    .map(({ at, step, orderId, outcome, reason, template, [extra]: value }) => ({
      at,
      step,
      orderId,
      outcome,
      ...(reason ? { reason } : {}),
      template,
      ...(value ? { [extra]: value } : {}),
    }));
}
