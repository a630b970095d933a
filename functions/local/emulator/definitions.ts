/**
 * The synthesized template's state machine definitions as the local engine reads them: intrinsics resolved
 * to the placeholders it maps to in-process handlers, validated once per definition; and the history
 * events Step Functions would record for an engine event, counted against its 25,000-event quota.
 */

// biome-ignore lint/suspicious/noExplicitAny: ASL and CloudFormation are untyped JSON here.
export type Json = any;

/** A synthesized CloudFormation template (the part the local runner reads). */
export interface CloudFormationTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Json }>;
}

export const PLACEHOLDER_ARN_PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:";

export const VALIDATED_DEFINITIONS = new Set<string>();

/**
 * Turns a `DefinitionString` (plain or `Fn::Join`) into ASL text, with Lambda ARNs as placeholders. A
 * task may name a function (`Fn::GetAtt … Arn`) or one of its published versions (`Ref` to an
 * `AWS::Lambda::Version`); both resolve to the function, since locally there is only the current code.
 */
export function resolveDefinition(definition: Json, resources: CloudFormationTemplate["Resources"]): string {
  if (typeof definition === "string") return definition;
  const join = definition?.["Fn::Join"];
  if (!Array.isArray(join)) throw new Error(`unsupported DefinitionString ${JSON.stringify(definition)}`);
  const [separator, parts] = join as [string, Json[]];
  return parts
    .map((part) => {
      if (typeof part === "string") return part;
      const getAtt = part?.["Fn::GetAtt"];
      if (Array.isArray(getAtt) && getAtt[1] === "Arn") return `${PLACEHOLDER_ARN_PREFIX}${getAtt[0]}`;
      const version = typeof part?.Ref === "string" ? resources[part.Ref] : undefined;
      if (version?.Type === "AWS::Lambda::Version") {
        return `${PLACEHOLDER_ARN_PREFIX}${version.Properties?.FunctionName?.Ref}`;
      }
      if (part?.Ref === "AWS::Partition") return "aws";
      if (part?.Ref === "AWS::Region") return "us-east-1";
      if (part?.Ref === "AWS::AccountId") return "123456789012";
      throw new Error(`unsupported intrinsic in state machine definition: ${JSON.stringify(part)}`);
    })
    .join(separator);
}

/**
 * The Step Functions history events one engine event stands for ("GetExecutionHistory", HistoryEvent types):
 * the execution's start and end one each; a state's entry and exit one each; a task's attempt three more
 * (LambdaFunctionScheduled, Started, and Succeeded or Failed; for a service integration TaskScheduled,
 * Started, Succeeded), a retry being another attempt.
 */
export function historyEventsOf(event: {
  readonly type: string;
  readonly state?: { readonly type: string };
}): number {
  switch (event.type) {
    case "StateEntered":
      return event.state?.type === "Task" ? 4 : 1;
    case "StateRetried":
      return 3;
    case "StateExited":
    case "ExecutionStarted":
    case "ExecutionSucceeded":
    case "ExecutionFailed":
    case "ExecutionAborted":
    case "ExecutionTimeout":
      return 1;
    default:
      return 0;
  }
}

export function readPath(path: string, input: Json): Json {
  if (path === "$") return input;
  if (!/^\$(\.[A-Za-z_][\w]*)+$/.test(path))
    throw new Error(`local runner supports only $.a.b paths, got ${path}`);
  return path
    .slice(2)
    .split(".")
    .reduce((node, key) => node?.[key], input);
}
