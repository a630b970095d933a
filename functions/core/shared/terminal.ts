/**
 * Text from outside (a customer's name or reply, a template, a webhook field) printed to a terminal must
 * not drive it: ESC starts sequences that retitle the window, rewrite the screen or, in some terminals, write
 * files; C1 controls (U+0080–U+009F) are the same sequences in one character; a carriage return or a newline
 * forges another line. Each is shown as U+FFFD, so what was there stays visible without acting.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** The replacement character every control character becomes. */
export const REPLACEMENT = "\uFFFD";

/** One line for a terminal: every C0 and C1 control character (newlines too) as U+FFFD. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROLS, REPLACEMENT);
}

/** Lines for a terminal: shopcare's own newlines kept, every other control character as U+FFFD. */
export function terminalSafeLines(text: string): string {
  return text.split("\n").map(terminalSafe).join("\n");
}

/** Rows as aligned columns for a terminal: each cell made safe, padded to its column's widest, two spaces apart. */
export function alignedColumns(rows: readonly (readonly string[])[]): string {
  const safe = rows.map((row) => row.map(terminalSafe));
  const widths =
    safe[0]?.map((_, column) => Math.max(...safe.map((row) => (row[column] ?? "").length))) ?? [];
  return safe
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
