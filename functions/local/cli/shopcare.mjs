#!/usr/bin/env node
// npm bin entry for `npx shopcare …`: runs the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";

register();
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
// The local tools run on the machine's Node 20; Lambda runs nodejs22.x, so the SDK's Node 22 notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { main } = await import("./cli.ts");
const code = await main(process.argv.slice(2));
// start and console keep serving until Ctrl-C.
if (process.argv[2] !== "start" && process.argv[2] !== "console") process.exit(code);
else if (code !== 0) process.exit(code);
