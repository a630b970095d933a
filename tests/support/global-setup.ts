import type { TestProject } from "vitest/node";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../functions/local/emulator/dynamodb-local.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** The run's one DynamoDB Local, shared by the projects that need it (integration, e2e), stopped by the last. */
const shared = globalThis as { shopcareDynamo?: { started: Promise<DynamoDbLocal>; users: number } };

/** One real DynamoDB Local for the whole run; every test file creates its own tables in it. */
export default async function setup(project: TestProject) {
  shared.shopcareDynamo ??= { started: startDynamoDbLocal(), users: 0 };
  const run = shared.shopcareDynamo;
  run.users += 1;
  const dynamo = await run.started;
  project.provide("dynamoEndpoint", dynamo.endpoint);
  return async () => {
    run.users -= 1;
    if (run.users > 0) return;
    shared.shopcareDynamo = undefined;
    await dynamo.stop();
  };
}
