/**
 * The suites' times: Shanghai local times written as ISO 8601 with their offset, the way webhooks send them.
 * One set of helpers instead of a copy per file.
 */

/** `local("2026-06-18", "10:00")` → `2026-06-18T10:00:00+08:00`. */
export const local = (date: string, time: string): string => `${date}T${time}:00+08:00`;

/** A day of June 2026 (the month most suites play in): `june("18", "10:00")`. */
export const june = (day: string, time: string): string => local(`2026-06-${day}`, time);
