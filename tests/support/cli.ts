import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The `shopcare` command line, as `npx shopcare` runs it. */
export const CLI = new URL("../../functions/local/cli/shopcare.mjs", import.meta.url).pathname;

/** Runs a Node script as a child process; resolves with its exit code and output whatever the code. */
export async function node(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs `shopcare …` as a child process. */
export const cli = (args: string[], env: Record<string, string> = {}) => node([CLI, ...args], env);
