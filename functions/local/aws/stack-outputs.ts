import type { Stack } from "@aws-sdk/client-cloudformation";

/** A deployed stack's outputs by key (`WebhookUrl`, `TableName`, …), as DescribeStacks lists them. */
export function outputsOf(stack: Stack | undefined): Record<string, string> {
  return Object.fromEntries(
    (stack?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue ?? ""]),
  );
}

/** Reads a deployed stack's outputs with the operator's credentials and region. */
export async function readStackOutputs(stackName: string): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import("@aws-sdk/client-cloudformation");
  const { Stacks } = await new CloudFormationClient({}).send(
    new DescribeStacksCommand({ StackName: stackName }),
  );
  return outputsOf(Stacks?.[0]);
}
