import { Presets, SingleBar } from "cli-progress";

/**
 * A progress bar on stderr while a long run works (events done, virtual date), only on a terminal:
 * piped output stays clean.
 */
export function progressBar(unit: string): {
  update(done: number, total: number, date: string): void;
  stop(): void;
} {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar(
    { format: `{bar} {value}/{total} ${unit} | {date}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, date) {
      if (!started) bar.start(total, 0, { date });
      started = true;
      bar.update(done, { date });
    },
    stop: () => started && bar.stop(),
  };
}
