// One shard of a parallel `simulate` (see `workers` in simulate.ts): a worker thread runs the simulation
// bundle the main thread built (plain JavaScript, no tsx) and posts its result (or its error) back.
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

// A shard reports a failure by its message (below, and the executions' as `name: message`), so no stack
// is ever read here. The engine's JSONPath library throws an Error to return each Choice's value, and
// capturing its stack was about 3% of a shard's time.
Error.stackTraceLimit = 0;
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
const { bundle, ...options } = workerData;
const { simulate } = await import(pathToFileURL(bundle).href);
const PROGRESS_INTERVAL_MS = 100;
let lastProgress = 0;
try {
  const result = await simulate({
    ...options,
    dynamo: "memory",
    // A message per event would keep the main thread (and its core) busy; a few a second draw the bar.
    onProgress: (done, total, now) => {
      const at = performance.now();
      if (done < total && at - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = at;
      parentPort.postMessage({ progress: done, now: now.getTime() });
    },
  });
  parentPort.postMessage({ result });
} catch (error) {
  parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
