// `npm test` after the prerequisites and Biome: the type check and the test suite side by side. The suite
// keeps both cores busy only three quarters of the time (its tests wait on DynamoDB Local, child CLIs and
// Chromium), and `tsc --noEmit` takes a single core for about 15 s: run after it, it added those seconds to
// every run. Each one's output is shown; either failing fails `npm test`.
import { spawn } from "node:child_process";

/** Runs a command, its output kept (tsc's) or passed through (vitest's). @returns its exit code */
function run(command, args, { quiet }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child.on("close", (code) => {
      if (output) process.stderr.write(output);
      resolve(code ?? 1);
    });
  });
}

const [typecheck, tests] = await Promise.all([
  run("tsc", ["--noEmit", "-p", "."], { quiet: true }),
  run("vitest", ["run", ...process.argv.slice(2)], { quiet: false }),
]);
if (typecheck !== 0) process.stderr.write("npm test: tsc --noEmit failed (above)\n");
process.exit(typecheck !== 0 ? typecheck : tests);
