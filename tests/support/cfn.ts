import { createHash } from "node:crypto";
import { JOURNEY_IDS } from "../../functions/core/journeys/index.js";

/**
 * A synthesized CloudFormation template read as a deployed stack would be: every intrinsic (`Ref`,
 * `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`) resolved to the names and ARNs
 * CloudFormation would give the resources, in one made-up account and region. The IAM and upgrade contract
 * tests evaluate the template's policies against these ARNs.
 */

export const ACCOUNT = "111122223333";
export const REGION = "ap-southeast-1";
const PARTITION = "aws";

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped
export type Json = any;

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Json;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/**
 * Version numbers as Lambda and Step Functions would publish them: each new version resource gets the next
 * number. Share one between two templates to model an update deploy (a version kept in both keeps its
 * number; a new one gets the next).
 */
export class VersionNumbers {
  private readonly numbers = new Map<string, number>();
  private readonly next = new Map<string, number>();

  of(parent: string, logicalId: string): number {
    const key = `${parent}/${logicalId}`;
    let number = this.numbers.get(key);
    if (number === undefined) {
      number = (this.next.get(parent) ?? 0) + 1;
      this.next.set(parent, number);
      this.numbers.set(key, number);
    }
    return number;
  }
}

/** Resolves a template's intrinsics to the values a deployed stack named `stackName` would have. */
export class ResolvedTemplate {
  constructor(
    readonly template: CfnTemplate,
    private readonly versions = new VersionNumbers(),
    readonly stackName = "Shopcare",
  ) {}

  get resources(): Record<string, CfnResource> {
    return this.template.Resources;
  }

  /** Logical ids of the resources of `type`. */
  idsOf(type: string): string[] {
    return Object.entries(this.resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id]) => id);
  }

  arn(service: string, resource: string, options: { region?: string; account?: string } = {}): string {
    return `arn:${PARTITION}:${service}:${options.region ?? REGION}:${options.account ?? ACCOUNT}:${resource}`;
  }

  private nameOf(id: string): string {
    return `${this.stackName}-${id}`;
  }

  /** What `Ref` returns for a resource. */
  ref(id: string): string {
    switch (id) {
      case "AWS::Partition":
        return PARTITION;
      case "AWS::Region":
        return REGION;
      case "AWS::AccountId":
        return ACCOUNT;
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::StackName":
        return this.stackName;
      case "AWS::NoValue":
        return "";
    }
    const resource = this.resources[id];
    if (!resource) throw new Error(`Ref to unknown resource ${id}`);
    switch (resource.Type) {
      case "AWS::Lambda::Function":
      case "AWS::DynamoDB::Table":
      case "AWS::IAM::Role":
      case "AWS::CloudWatch::Alarm":
        return this.attr(id, "Name");
      case "AWS::Logs::LogGroup":
        return resource.Properties?.LogGroupName
          ? this.resolve(resource.Properties.LogGroupName)
          : this.nameOf(id);
      case "AWS::SQS::Queue":
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${this.nameOf(id)}`;
      case "AWS::KMS::Key":
        return `key-${id}`;
      // A schedule group's Ref is its name ("AWS::Scheduler::ScheduleGroup", return values).
      case "AWS::Scheduler::ScheduleGroup":
        return this.nameOf(id);
      default:
        return this.attr(id, "Arn");
    }
  }

  /** What `Fn::GetAtt` returns. */
  attr(id: string, attribute: string): string {
    const resource = this.resources[id];
    if (!resource) throw new Error(`GetAtt of unknown resource ${id}`);
    const name = this.nameOf(id);
    switch (resource.Type) {
      case "AWS::Lambda::Function":
        return attribute === "Arn" ? this.arn("lambda", `function:${name}`) : name;
      case "AWS::Lambda::Version": {
        const functionArn = this.functionArnOf(resource.Properties.FunctionName);
        const number = this.versions.of(functionArn, id);
        return attribute === "Version" ? String(number) : `${functionArn}:${number}`;
      }
      case "AWS::StepFunctions::StateMachine": {
        const machineName = resource.Properties?.StateMachineName ?? name;
        // A new revision whenever the definition (or anything else it is made of) changes.
        if (attribute === "StateMachineRevisionId")
          return createHash("sha256")
            .update(JSON.stringify(this.resolve(resource.Properties)))
            .digest("hex")
            .slice(0, 32);
        return attribute === "Name" ? machineName : this.arn("states", `stateMachine:${machineName}`);
      }
      case "AWS::StepFunctions::StateMachineVersion": {
        const machineArn = this.resolve(resource.Properties.StateMachineArn);
        return `${machineArn}:${this.versions.of(machineArn, id)}`;
      }
      case "AWS::StepFunctions::StateMachineAlias": {
        const [route] = resource.Properties.RoutingConfiguration;
        const versionArn = this.resolve(route.StateMachineVersionArn) as string;
        return `${versionArn.split(":").slice(0, 7).join(":")}:${resource.Properties.Name}`;
      }
      case "AWS::DynamoDB::Table":
        return attribute === "Arn" ? this.arn("dynamodb", `table/${name}`) : name;
      case "AWS::SQS::Queue":
        if (attribute === "QueueName") return name;
        if (attribute === "QueueUrl") return this.ref(id);
        return this.arn("sqs", name);
      case "AWS::SNS::Topic":
        return attribute === "TopicName" ? name : this.arn("sns", name);
      case "AWS::KMS::Key":
        return attribute === "Arn" ? this.arn("kms", `key/${this.ref(id)}`) : this.ref(id);
      case "AWS::SecretsManager::Secret":
        return this.arn("secretsmanager", `secret:${name}-AbCdEf`);
      case "AWS::IAM::Role":
        return attribute === "Arn" ? `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}` : name;
      case "AWS::Logs::LogGroup":
        return this.arn("logs", `log-group:${this.ref(id)}:*`);
      case "AWS::CloudWatch::Alarm":
        return attribute === "Arn" ? this.arn("cloudwatch", `alarm:${name}`) : name;
      case "AWS::ApiGatewayV2::Api":
        return attribute === "ApiEndpoint"
          ? `https://api-${id}.execute-api.${REGION}.amazonaws.com`
          : `api-${id}`;
      default:
        return `${id}.${attribute}`;
    }
  }

  /** A function's unqualified ARN from a `FunctionName` property (a name, an ARN or a reference to either). */
  functionArnOf(functionName: Json): string {
    const value = this.resolve(functionName) as string;
    return value.startsWith("arn:")
      ? value.split(":").slice(0, 7).join(":")
      : this.arn("lambda", `function:${value}`);
  }

  /** Resolves every intrinsic in `value`. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== "object") return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = value[key];
      switch (key) {
        case "Ref":
          return this.ref(argument);
        case "Fn::GetAtt": {
          const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split(".");
          return this.attr(id, attribute);
        }
        case "Fn::Join": {
          const [separator, parts] = argument;
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case "Fn::Select": {
          const [index, list] = argument;
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case "Fn::Split": {
          const [separator, text] = argument;
          return String(this.resolve(text)).split(separator);
        }
        case "Fn::Sub": {
          const [text, variables = {}] = Array.isArray(argument) ? argument : [argument];
          return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in variables) return this.resolve(variables[name]);
            const [id, attribute] = name.split(".");
            return attribute ? this.attr(id as string, attribute) : this.ref(id as string);
          });
        }
      }
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.resolve(item)]));
  }

  /** The identity policies attached to a role (inline `AWS::IAM::Policy` resources naming it). */
  rolePolicies(roleId: string): { name: string; policy: Json }[] {
    return Object.entries(this.resources)
      .filter(
        ([, resource]) =>
          resource.Type === "AWS::IAM::Policy" &&
          (resource.Properties.Roles as Json[]).some((role) => role.Ref === roleId),
      )
      .map(([id, resource]) => ({ name: id, policy: this.resolve(resource.Properties.PolicyDocument) }));
  }

  /** The role a Lambda function or state machine runs as. */
  roleOf(id: string): string {
    const properties = this.resources[id]?.Properties;
    const role = properties?.Role ?? properties?.RoleArn;
    const roleId = role?.["Fn::GetAtt"]?.[0];
    if (!roleId) throw new Error(`${id} has no role in this template`);
    return roleId;
  }

  /** The topic policy of a topic, merged from every `AWS::SNS::TopicPolicy` naming it. */
  topicPolicy(topicId: string): Json | undefined {
    return this.mergedPolicy("AWS::SNS::TopicPolicy", "Topics", topicId);
  }

  /** The queue policy of a queue. */
  queuePolicy(queueId: string): Json | undefined {
    return this.mergedPolicy("AWS::SQS::QueuePolicy", "Queues", queueId);
  }

  private mergedPolicy(type: string, listProperty: string, targetId: string): Json | undefined {
    const statements = Object.values(this.resources)
      .filter(
        (resource) =>
          resource.Type === type &&
          (resource.Properties[listProperty] as Json[]).some((target) => target.Ref === targetId),
      )
      .flatMap((resource) => this.resolve(resource.Properties.PolicyDocument).Statement as Json[]);
    return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
  }

  /** A key's key policy. */
  keyPolicy(keyId: string): Json {
    return this.resolve(this.resources[keyId]?.Properties.KeyPolicy);
  }

  /**
   * A function's resource-based policy, built from its `AWS::Lambda::Permission` resources as Lambda builds
   * it ("Viewing resource-based IAM policies in Lambda").
   */
  functionPolicy(functionId: string): Json | undefined {
    const functionArn = this.attr(functionId, "Arn");
    const statements = Object.values(this.resources)
      .filter(
        (resource) =>
          resource.Type === "AWS::Lambda::Permission" &&
          this.functionArnOf(resource.Properties.FunctionName) === functionArn,
      )
      .map((resource) => {
        const properties = this.resolve(resource.Properties);
        const principal = String(properties.Principal);
        const conditions: Json = {};
        if (properties.SourceArn) conditions.ArnLike = { "aws:SourceArn": properties.SourceArn };
        if (properties.SourceAccount)
          conditions.StringEquals = { "aws:SourceAccount": properties.SourceAccount };
        return {
          Effect: "Allow",
          Principal: principal.endsWith(".amazonaws.com") ? { Service: principal } : { AWS: principal },
          Action: properties.Action,
          Resource: String(this.resolve(resource.Properties.FunctionName)).startsWith("arn:")
            ? this.resolve(resource.Properties.FunctionName)
            : functionArn,
          ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
        };
      });
    return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
  }

  /** The logical id of the resource whose resolved `Ref`/ARN is `value`, of `type`. */
  idByValue(type: string, value: string): string | undefined {
    return this.idsOf(type).find((id) => this.ref(id) === value || this.attr(id, "Arn") === value);
  }
}

/** The stack's state machines: one per journey, and the one every campaign runs on. */
export const STATE_MACHINES = JOURNEY_IDS.length + 1;
