/**
 * The command line's error conventions: a user's mistake in one line (a stack trace only with
 * `SHOPCARE_DEBUG=1`), the closest option for a mistyped one, exit code 2 for wrong use.
 */

/** Thrown for wrong command-line use; printed with the command's help hint, exit code 2. */
export class UsageError extends Error {}

/** Edit distance between two strings (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1)
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known option closest to a mistyped one, if any is close (at most a third of it differs). */
export function closestOption(known: readonly string[], option: string): string | undefined {
  const scored = known
    .map((known) => ({ known, score: distance(option, known) }))
    .sort((a, b) => a.score - b.score);
  const best = scored[0];
  return best && best.score <= Math.max(2, Math.floor(option.length / 3)) ? best.known : undefined;
}

/**
 * A failure as one line: what went wrong, in the user's terms where the cause is theirs (a server not
 * running, a file or table that does not exist, missing credentials).
 */
export function oneLine(error: unknown): string {
  const failure = error as Error & {
    code?: string;
    cause?: { code?: string; message?: string };
    name?: string;
  };
  const cause = failure.cause?.code ?? failure.code;
  if (failure.message === "fetch failed")
    return `cannot reach the --url (${cause ?? failure.cause?.message ?? "no answer"}): is \`shopcare start\` running there?`;
  if (cause === "ENOENT") return failure.message.replace(/^ENOENT: /, "");
  if (failure.name === "ResourceNotFoundException")
    return `${failure.message} (check --table: the stack output TableName, in the region AWS_REGION names)`;
  if (failure.name === "CredentialsProviderError")
    return `no AWS credentials: ${failure.message} (set AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)`;
  return failure instanceof Error ? failure.message : String(error);
}
