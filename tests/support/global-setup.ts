import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../functions/local/emulator/dynamodb-local.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** One real DynamoDB Local for the whole run; every test file creates its own tables in it. */
export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal();
  project.provide("dynamoEndpoint", dynamo.endpoint);
  return async () => dynamo.stop();
}
