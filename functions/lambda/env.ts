/** A setting every cold start needs: a missing one fails the cold start instead of a request. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}
