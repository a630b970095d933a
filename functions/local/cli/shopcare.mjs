#!/usr/bin/env node
// npm bin entry for `npx shopcare …`: runs the TypeScript CLI through tsx.
// shopcare runs on the Node the Lambdas run on (nodejs22.x): `npm start`, `npm test` and `npx shopcare` find the
// `node` devDependency's Node 22 first on their PATH, whatever Node the machine has.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    `shopcare needs Node 22 (this is ${process.version}): run it as \`npx shopcare\` or \`npm start\`, which use the node package npm installed\n`,
  );
  process.exit(1);
}
const { register } = await import("tsx/esm/api");

register();
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
const { main } = await import("./cli.ts");
const code = await main(process.argv.slice(2));
// start and console keep serving until Ctrl-C.
if (process.argv[2] !== "start" && process.argv[2] !== "console") process.exit(code);
else if (code !== 0) process.exit(code);
