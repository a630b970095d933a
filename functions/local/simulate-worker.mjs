// One shard of a parallel `simulate` (see `workers` in simulate.ts): a worker thread runs the TypeScript
// simulation through tsx, as the CLI does, and posts its result (or its error) back.
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { simulate } = await import("./simulate.ts");
const PROGRESS_INTERVAL_MS = 100;
let lastProgress = 0;
try {
  const result = await simulate({
    ...workerData,
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
