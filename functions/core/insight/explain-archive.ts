import type { ShopConfig } from "../config/config.js";
import type { PhonePlaces } from "../engine/quiet-hours.js";
import { archivedHistory } from "../intake/replay.js";
import type { Repositories } from "../shared/ports.js";
import { DAY_MS } from "../shared/time.js";
import { type ExplainSubject, explainFromStore, type TimelineEntry } from "./explain.js";

/** A subject's timeline on a store whose archive holds the events received. */
export async function explainOnStore(
  store: Repositories,
  config: ShopConfig,
  now: Date,
  subject: ExplainSubject,
  options: { readonly showPhone: boolean },
  sinceDays = 30,
  /** What numbers tell of where their holders are (pending steps in the recipient's time). @default none */
  phones?: PhonePlaces,
): Promise<TimelineEntry[]> {
  const history = await archivedHistory(
    { config, store, now: () => now },
    { from: new Date(now.getTime() - sinceDays * DAY_MS), to: new Date(now.getTime() + 1) },
  );
  return explainFromStore({ store, config, now, phones }, subject, history.received, options);
}
