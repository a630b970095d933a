import type { Click, ClickRecorder, ShortLinks } from "../../core/engine/links.js";

/**
 * The local stand-in for the link function's log and the clicks function: each click is counted after the
 * redirect has been answered, one at a time, as the subscription delivers them on AWS.
 */
export class LocalClickCounter implements ClickRecorder {
  private counting: Promise<void> = Promise.resolve();

  constructor(
    private readonly links: Pick<ShortLinks, "countClick">,
    private readonly onError: (error: unknown) => void = (error) =>
      process.stderr.write(`[clicks] a click was not counted: ${String(error)}\n`),
  ) {}

  record(click: Click): void {
    this.counting = this.counting.then(() =>
      this.links.countClick(click).then(() => undefined, this.onError),
    );
  }

  /** Resolves once every click recorded so far is counted. */
  settled(): Promise<void> {
    return this.counting;
  }
}
