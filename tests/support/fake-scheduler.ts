import type { IncomingMessage, ServerResponse } from "node:http";
import { LoopbackFake, sigV4Service } from "./loopback.js";

/** A schedule as the fake keeps it. */
export interface FakeSchedule {
  readonly group: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

/**
 * EventBridge Scheduler's REST-JSON API (CreateSchedule `POST /schedules/{Name}`, UpdateSchedule `PUT`,
 * DeleteSchedule `DELETE …?groupName=`; "Amazon EventBridge Scheduler API Reference"), checked as the service
 * checks it: SigV4 for `scheduler`, JSON, the required members, an `at()` expression of whole seconds and
 * not in the past (what Scheduler does with a past one is not documented: the fake refuses it, so code that
 * would rely on it fails), a dead-letter queue ARN of the documented pattern. Errors as the service names them
 * in `x-amzn-errortype`: ConflictException, ResourceNotFoundException, ValidationException.
 */
export class FakeScheduler extends LoopbackFake {
  readonly schedules = new Map<string, FakeSchedule>();
  readonly requests: { method: string; name: string }[] = [];
  /** The fake's idea of now, for the past-time check. */
  now = () => new Date();

  protected handle(request: IncomingMessage, response: ServerResponse, text: string): void {
    const { status, message, errorType, body } = this.answer(request, text);
    response.writeHead(status, {
      "content-type": "application/json",
      ...(errorType ? { "x-amzn-errortype": errorType } : {}),
    });
    response.end(JSON.stringify(errorType ? { Message: message } : (body ?? {})));
  }

  /** The service's answer to one request: a status, and a body or an error type with its message. */
  private answer(
    request: IncomingMessage,
    text: string,
  ): { status: number; message?: string; errorType?: string; body?: Record<string, unknown> } {
    const url = new URL(request.url ?? "/", "http://x");
    const match = /^\/schedules\/([\w.-]{1,64})$/.exec(url.pathname);
    const error = (status: number, errorType: string, message: string) => ({ status, errorType, message });
    if (sigV4Service(request) !== "scheduler")
      return error(403, "AccessDeniedException", "not SigV4 for scheduler");
    if (!match) return error(404, "UnknownOperationException", url.pathname);
    const name = match[1] as string;
    this.requests.push({ method: request.method ?? "", name });
    const missing = () => error(404, "ResourceNotFoundException", `Schedule ${name} does not exist.`);
    if (request.method === "DELETE") {
      const group = url.searchParams.get("groupName") ?? "default";
      return this.schedules.delete(`${group}/${name}`) ? { status: 200, body: {} } : missing();
    }
    if (!String(request.headers["content-type"]).startsWith("application/json"))
      return error(400, "ValidationException", "expected application/json");
    const body = JSON.parse(text || "{}") as Record<string, unknown>;
    const group = String(body.GroupName ?? "default");
    const key = `${group}/${name}`;
    const invalid = this.invalid(body);
    if (invalid) return error(400, "ValidationException", invalid);
    if (request.method === "POST" && this.schedules.has(key))
      return error(409, "ConflictException", `Schedule ${name} already exists.`);
    if (request.method === "PUT" && !this.schedules.has(key)) return missing();
    if (request.method !== "POST" && request.method !== "PUT")
      return error(405, "ValidationException", String(request.method));
    this.schedules.set(key, { group, name, body });
    return {
      status: 200,
      body: { ScheduleArn: `arn:aws:scheduler:ap-southeast-1:123456789012:schedule/${key}` },
    };
  }

  private invalid(body: Record<string, unknown>): string | undefined {
    const at = /^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$/.exec(String(body.ScheduleExpression ?? ""));
    if (!at) return "ScheduleExpression: expected at(yyyy-mm-ddThh:mm:ss)";
    if (body.ScheduleExpressionTimezone !== "UTC") return "ScheduleExpressionTimezone";
    if (Date.parse(`${at[1]}Z`) <= this.now().getTime()) return "ScheduleExpression: the time is in the past";
    if ((body.FlexibleTimeWindow as { Mode?: string } | undefined)?.Mode !== "OFF")
      return "FlexibleTimeWindow";
    const target = body.Target as Record<string, unknown> | undefined;
    if (!target?.Arn || !target.RoleArn) return "Target: Arn and RoleArn are required";
    const deadLetter = (target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
    if (deadLetter !== undefined && !/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+$/.test(deadLetter))
      return "Target.DeadLetterConfig.Arn";
    return undefined;
  }
}
