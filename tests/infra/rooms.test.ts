import { App, type CfnElement, CfnResource, Stack } from "aws-cdk-lib";
import { Construct } from "constructs";
import { describe, expect, it } from "vitest";
import { logicalIdOfPath, RoomLogicalIds, StackRoom } from "../../infra/rooms.js";

/** A stack whose rooms are left out of logical ids, as `ShopcareStack` does. */
class RoomedStack extends Stack {
  protected override allocateLogicalId(element: CfnElement): string {
    return RoomLogicalIds.of(this).allocate(element);
  }
}

const resource = (scope: Construct, id: string) => new CfnResource(scope, id, { type: "AWS::SQS::Queue" });

describe("rooms (infra/rooms.ts)", () => {
  it("compute the logical ids CDK computes for the same paths", () => {
    const stack = new Stack(new App(), "Plain");
    const nested = new Construct(new Construct(stack, "Engine-1"), "step");
    const cases = [
      resource(stack, "Table"),
      resource(nested, "Resource"),
      resource(nested, "Default"),
      resource(nested, "stepFunction"),
    ];

    const ours = cases.map((element) =>
      logicalIdOfPath(element.node.scopes.slice(2).map((scope) => scope.node.id)),
    );

    expect(ours).toEqual(cases.map((element) => stack.getLogicalId(element)));
  });

  it("leave their own ids out, so a resource moved into one keeps its logical id", () => {
    const flat = new Stack(new App(), "Shop");
    const roomed = new RoomedStack(new App(), "Shop");
    const before = resource(new Construct(flat, "stepFunction"), "Resource");

    const after = resource(new Construct(new StackRoom(roomed, "Engine"), "stepFunction"), "Resource");

    expect(roomed.getLogicalId(after)).toBe(flat.getLogicalId(before));
  });

  it("refuse two resources that would share a logical id, naming both", () => {
    const stack = new RoomedStack(new App(), "Shop");
    resource(new StackRoom(stack, "A"), "Queue");
    resource(new StackRoom(stack, "B"), "Queue");

    const ids = () =>
      stack.node.findAll().flatMap((c) => (c instanceof CfnResource ? [stack.resolve(c.logicalId)] : []));

    expect(ids).toThrow(/logical id Queue of Shop\/B\/Queue is already Shop\/A\/Queue's/);
  });
});
