import { createHash } from "node:crypto";
import { type CfnElement, Names, type Stack } from "aws-cdk-lib";
import { Construct, type IConstruct } from "constructs";

/**
 * A construct that groups a stack's resources without moving them: its id is left out of the logical ids of
 * everything it holds. The stack was first deployed flat, and CloudFormation replaces a resource whose
 * logical id changes — a table, a secret or a queue with its data, a role the retained function versions
 * still run as — so the constructs a shop's stack is composed of (0.4.0) are rooms: each resource inside one
 * keeps the id it had when it sat on the stack. Children of rooms share the stack's namespace, so their ids
 * must be unique across rooms; {@link RoomLogicalIds} refuses a clash at synth.
 *
 * CDK's own way for one such layer is a child named `Default` ("Logical IDs", AWS CDK developer guide:
 * "allows refactoring higher level abstractions around constructs without affecting the IDs of already
 * deployed resources"); a stack has room for one `Default`, and shopcare has seven rooms.
 */
export class StackRoom extends Construct {}

const HIDDEN_ID = "Default";
const HIDDEN_FROM_HUMAN_ID = "Resource";
const HASH_LENGTH = 8;
const MAX_HUMAN_LENGTH = 240;
const MAX_ID_LENGTH = 255;

const alphanumeric = (text: string) => text.replace(/[^A-Za-z0-9]/g, "");

/**
 * CDK's logical id of a path below the stack (`makeUniqueId` in aws-cdk-lib's core, as its `Stack`
 * documents `allocateLogicalId`): the human-readable components (without `Default`, `Resource` and
 * repetitions) and the first 8 hex digits of the MD5 of the path. A unit test holds it to CDK's own ids.
 */
export function logicalIdOfPath(components: readonly string[]): string {
  const path = components.filter((component) => component !== HIDDEN_ID);
  if (path.length === 0) throw new Error("a logical id needs at least one path component");
  if (path.length === 1) {
    const only = alphanumeric(path[0] as string);
    if (only.length <= MAX_ID_LENGTH) return only;
  }
  const hash = createHash("md5").update(path.join("/")).digest("hex").slice(0, HASH_LENGTH).toUpperCase();
  const human: string[] = [];
  for (const component of path) {
    const last = human.at(-1);
    if (last === undefined || !last.endsWith(component)) human.push(component);
  }
  return (
    human
      .filter((component) => component !== HIDDEN_FROM_HUMAN_ID)
      .map(alphanumeric)
      .join("")
      .slice(0, MAX_HUMAN_LENGTH) + hash
  );
}

/**
 * The logical ids of a stack whose constructs are {@link StackRoom}s: a stack's `allocateLogicalId` hands its
 * elements here. Ids are computed from the path with the rooms left out; two elements given one id fail the
 * synth naming both (CloudFormation would otherwise keep one and drop the other).
 */
export class RoomLogicalIds {
  private readonly allocated = new Map<string, string>();

  constructor(private readonly stack: Stack) {}

  private static readonly OF = new WeakMap<Stack, RoomLogicalIds>();

  /**
   * The stack's allocator. Kept beside the stack rather than in a field of it: CDK allocates ids while the
   * stack's constructor still runs, before a subclass's fields exist.
   */
  static of(stack: Stack): RoomLogicalIds {
    let ids = RoomLogicalIds.OF.get(stack);
    if (!ids) {
      ids = new RoomLogicalIds(stack);
      RoomLogicalIds.OF.set(stack, ids);
    }
    return ids;
  }

  /** The logical id of `element`, its rooms left out of its path. */
  allocate(element: CfnElement): string {
    const scopes = element.node.scopes;
    const below = scopes.slice(scopes.indexOf(this.stack) + 1);
    const id = logicalIdOfPath(
      below.filter((scope) => !(scope instanceof StackRoom)).map((scope) => this.withoutRooms(scope.node.id)),
    );
    const path = element.node.path;
    const holder = this.allocated.get(id);
    if (holder !== undefined && holder !== path)
      throw new Error(`logical id ${id} of ${path} is already ${holder}'s: rename one of them`);
    this.allocated.set(id, path);
    return id;
  }

  private uniqueIds: { readonly constructs: number; readonly roomless: Map<string, string> } | undefined;

  /**
   * A construct id with the unique ids it embeds taken without rooms: CDK names some children after another
   * construct's unique id (an SQS event source `SqsEventSource:<queue's unique id>`, an SNS subscription's
   * permission `AllowInvoke:<topic's unique id>`), and a room in that construct's path would change them.
   */
  private withoutRooms(id: string): string {
    if (!id.includes(":")) return id;
    const all = this.stack.node.findAll();
    if (this.uniqueIds?.constructs !== all.length) {
      const roomless = new Map<string, string>();
      for (const construct of all) {
        if (!construct.node.scopes.some((scope) => scope instanceof StackRoom)) continue;
        roomless.set(Names.nodeUniqueId(construct.node), roomlessUniqueId(construct));
      }
      this.uniqueIds = { constructs: all.length, roomless };
    }
    const roomless = this.uniqueIds.roomless;
    return id.replace(/[A-Za-z0-9]+/g, (word) => roomless.get(word) ?? word);
  }
}

/** `Names.nodeUniqueId` of a construct as if its rooms were not there. */
function roomlessUniqueId(construct: IConstruct): string {
  return logicalIdOfPath(
    construct.node.scopes
      .slice(1)
      .filter((scope) => !(scope instanceof StackRoom))
      .map((scope) => scope.node.id),
  );
}
