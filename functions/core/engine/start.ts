import type { ExecutionState, JourneyId } from "../shared/model.js";
import type { JourneyStarter } from "../shared/ports.js";
import type { SendRateLimiter } from "./rate.js";

/**
 * Starts executions no faster than the account's StartExecution quota allows, and stops them no faster than
 * its StopExecution quota allows (DynamoDB per-second budgets shared by every dispatch Lambda). When no
 * slot comes free in time the record fails and SQS redelivers it later: the queue is the buffer, so a
 * Double-11 burst is delayed, never lost, and never meets Step Functions' throttling.
 */
export class PacedJourneyStarter implements JourneyStarter {
  /**
   * @param startLimiter the StartExecution budget
   * @param stopLimiter the StopExecution budget (a separate quota) @default stops are not paced
   */
  constructor(
    private readonly inner: JourneyStarter,
    private readonly startLimiter: SendRateLimiter,
    private readonly stopLimiter?: SendRateLimiter,
  ) {}

  async start(journey: JourneyId, name: string, input: ExecutionState): Promise<void> {
    await this.startLimiter.acquire();
    await this.inner.start(journey, name, input);
  }

  async stop(journey: JourneyId, name: string): Promise<void> {
    await this.stopLimiter?.acquire();
    await this.inner.stop(journey, name);
  }
}

const EXECUTION_NAME_LIMIT = 80;

/**
 * A deterministic execution name: the same journey for the same subject always gets the same name, so a
 * duplicate event cannot start a second execution. Step Functions allows 80 characters of `[A-Za-z0-9-_]`.
 */
export function executionName(journey: JourneyId, subjectId: string): string {
  const safe = `${journey}-${subjectId}`.replace(/[^A-Za-z0-9_-]/g, "_");
  if (safe.length <= EXECUTION_NAME_LIMIT) return safe;
  let hash = 0x811c9dc5;
  for (const char of subjectId) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return `${safe.slice(0, EXECUTION_NAME_LIMIT - 9)}-${hash.toString(16).padStart(8, "0")}`;
}
