import { dispatchEvent } from "../engine/dispatch.js";
import type { DispatchDeps } from "../engine/dispatch-starts.js";
import type { Clock } from "../shared/clock.js";
import type { JourneyStarter } from "../shared/ports.js";
import type { ShopEvent } from "./events.js";

/**
 * A shop's history imported (`shopcare import`): its past orders, payments, shipments and refunds applied
 * as facts in the order they happened, each as dispatch applies it live — so profiles, levels, RFM,
 * segments and the win-back cycle come out as if shopcare had seen them — with one difference: a journey
 * step that would have been due before the import is not started but recorded skipped `before-import`
 * (explain says why), and only what is still ahead starts. Importing twice changes nothing: facts keep
 * their earliest value, decisions their first, executions their names.
 */

export { BEFORE_IMPORT } from "../engine/decide.js";

/** What an import did. */
export interface ImportCounts {
  /** Events applied. */
  readonly events: number;
  /** Executions started: steps still ahead. */
  readonly started: number;
  /** Steps recorded skipped `before-import`. */
  readonly beforeImport: number;
}

/** A clock that shows each event's own time while it is applied. */
class EventTimeClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  async sleepUntil(): Promise<void> {
    throw new Error("an import waits for nothing: its executions wait on the shop's own clock");
  }
}

/**
 * Applies `events` (any order: they are applied by time) as of `importAt`.
 * @param onProgress called after each event with how many are done
 */
export async function importHistory(
  deps: DispatchDeps,
  events: readonly ShopEvent[],
  importAt: Date,
  onProgress?: (done: number) => void,
): Promise<ImportCounts> {
  const ordered = events
    .map((event, index) => ({ event, index, at: Date.parse(event.at) }))
    .sort((a, b) => a.at - b.at || a.index - b.index);
  const clock = new EventTimeClock(importAt);
  const historyImport = { at: importAt, skipped: 0 };
  let started = 0;
  const journeys: JourneyStarter = {
    async start(journey, name, input) {
      await deps.journeys.start(journey, name, input);
      started += 1;
    },
    stop: (journey, name) => deps.journeys.stop(journey, name),
  };
  // History tells nothing new to the platform it came from: no consent is written back.
  const importDeps: DispatchDeps = {
    ...deps,
    clock,
    journeys,
    historyImport,
    telemetry: undefined,
    consentWriteBack: undefined,
    // Past parcels were tracked (or not) long ago: nothing is subscribed for them.
    parcels: undefined,
  };
  let done = 0;
  for (const { event, at } of ordered) {
    // An event from after the import (a clock ahead of ours) is applied as of the import.
    clock.current = new Date(Math.min(at, importAt.getTime()));
    await dispatchEvent(importDeps, event);
    done += 1;
    onProgress?.(done);
  }
  return { events: done, started, beforeImport: historyImport.skipped };
}
