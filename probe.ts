import "./functions/local/polyfills.js";
import { randomUUID } from "node:crypto";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { LinkReads } from "./functions/adapters/dynamodb/link-reads.js";
import { Store } from "./functions/adapters/dynamodb/store.js";
import { systemClock } from "./functions/core/clock.js";
import { parseShopConfig } from "./functions/core/config.js";
import { newLinkCode } from "./functions/core/links.js";
import { createLinkHandler } from "./functions/handlers/link.js";
import { createTableFromTemplate, startDynamoDbLocal } from "./functions/local/dynamodb-local.js";
import { startHttpServer } from "./functions/local/server.js";
import { synthesizeTemplate } from "./functions/local/synth.js";
const d = await startDynamoDbLocal();
const load = async (n: number, c: number, f: (i: number) => Promise<void>) => {
  const lat: number[] = []; let next = 0;
  await Promise.all(Array.from({ length: c }, async () => { while (next < n) { const i = next++; const t = performance.now(); await f(i); lat.push(performance.now() - t); } }));
  lat.sort((a, b) => a - b); return lat[Math.floor(lat.length / 2)] ?? 0;
};
try {
  const table = `b-${randomUUID().slice(0, 8)}`;
  await createTableFromTemplate(d.client, synthesizeTemplate(parseShopConfig({})), table);
  const store = new Store(d.client, table);
  const doc = DynamoDBDocumentClient.from(d.client);
  const codes = Array.from({ length: 12000 }, () => newLinkCode());
  await load(codes.length, 16, (i) => store.putLink({ code: codes[i]!, target: "https://x/" + i, journey: "payment-reminder", step: "first", subjectId: "o" + i, customerId: "c" + i, orderId: "o" + i, createdAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 864e5).toISOString() }).then(() => {}));
  const handler = createLinkHandler({ links: new LinkReads(doc, table), clicks: { record: () => {} }, clock: systemClock });
  const http = await startHttpServer([{ method: "GET", path: "/l/{code}", handler }]);
  const get = (i: number) => doc.send(new GetCommand({ TableName: table, Key: { pk: `LINK#${codes[i]}`, sk: "LINK" } })).then(() => {});
  const direct = (i: number) => handler({ pathParameters: { code: codes[i] }, requestContext: { http: { sourceIp: "1.2.3.4", userAgent: "x" } } } as never).then(() => {});
  const follow = (i: number) => fetch(`${http.url}/l/${codes[i]}`, { redirect: "manual" }).then((r) => r.arrayBuffer()).then(() => {});
  await load(500, 16, get); await load(500, 16, direct); await load(500, 16, follow);
  const r: Record<string, number[]> = { get: [], direct: [], follow: [] };
  let base = 1500;
  for (let round = 0; round < 4; round++) {
    for (const [name, f] of [["get", get], ["direct", direct], ["follow", follow]] as const) { r[name]!.push(await load(600, 16, (i) => f(base + i))); base += 600; }
  }
  console.log(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.map((x) => x.toFixed(1)).join(" ")])));
  await http.close();
} finally { await d.stop(); }
