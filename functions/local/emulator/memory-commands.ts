import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { DocumentRequest } from "../../adapters/dynamodb/store.js";
import { assertPlaceholdersUsed, type ExpressionInput } from "./memory-expressions.js";

/**
 * Which document-client commands and parameters the in-memory table answers: a command or parameter it does
 * not implement fails loudly rather than being ignored (a test relying on it would pass for the wrong reason).
 */

const COMMAND_KINDS = new Map<unknown, DocumentRequest["kind"]>([
  [GetCommand, "Get"],
  [PutCommand, "Put"],
  [UpdateCommand, "Update"],
  [DeleteCommand, "Delete"],
  [QueryCommand, "Query"],
  [ScanCommand, "Scan"],
  [TransactWriteCommand, "TransactWrite"],
]);

const CONDITION_PARAMETERS = ["ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"];

/**
 * The request parameters this table implements, by request kind. Any other (a `ProjectionExpression`, a
 * real `ExclusiveStartKey`: this table pages only by `Limit` and a key condition) would change DynamoDB's
 * answer, so it is refused rather than ignored.
 */
const IMPLEMENTED_PARAMETERS: Readonly<Record<string, ReadonlySet<string>>> = {
  Get: new Set(["TableName", "Key", "ConsistentRead"]),
  Put: new Set(["TableName", "Item", ...CONDITION_PARAMETERS]),
  Update: new Set(["TableName", "Key", "UpdateExpression", "ReturnValues", ...CONDITION_PARAMETERS]),
  Delete: new Set(["TableName", "Key", ...CONDITION_PARAMETERS]),
  Query: new Set([
    "TableName",
    "IndexName",
    "KeyConditionExpression",
    "ConsistentRead",
    "ScanIndexForward",
    "Limit",
    ...CONDITION_PARAMETERS,
  ]),
  Scan: new Set([
    "TableName",
    "IndexName",
    "FilterExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
  ]),
  TransactWrite: new Set(["TransactItems"]),
};

/**
 * Refuses a request DynamoDB would answer otherwise: one that sets a parameter this table does not
 * implement, or names a placeholder no expression uses.
 */
export function assertSupported(kind: string, input: unknown): void {
  assertImplemented(kind, input);
  // A transaction has no expressions of its own; its entries have.
  if (kind !== "TransactWrite") assertPlaceholdersUsed(input as ExpressionInput);
}

/** Refuses a request that sets a parameter this table does not implement (undefined ones are unset). */
function assertImplemented(kind: string, input: unknown): void {
  const implemented = IMPLEMENTED_PARAMETERS[kind];
  if (!implemented || typeof input !== "object" || input === null) return;
  for (const parameter in input)
    if ((input as Record<string, unknown>)[parameter] !== undefined && !implemented.has(parameter))
      throw new Error(`MemoryTable: ${kind} parameter ${parameter} is not implemented`);
}

export function toRequest(command: object): { kind: string; input: unknown } {
  if ("kind" in command && "input" in command) return command as DocumentRequest;
  const kind = COMMAND_KINDS.get(command.constructor);
  return { kind: kind ?? command.constructor.name, input: (command as { input?: unknown }).input };
}
