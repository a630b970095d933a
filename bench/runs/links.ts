import { randomUUID } from "node:crypto";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { gzipSync } from "node:zlib";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { ClickCounts } from "../../functions/adapters/dynamodb/click-counts.js";
import { LinkReads } from "../../functions/adapters/dynamodb/link-reads.js";
import { Store } from "../../functions/adapters/dynamodb/store.js";
import { parseShopConfig } from "../../functions/core/config/config.js";
import { clickLine, LINK_PATH, newLinkCode } from "../../functions/core/engine/links.js";
import { systemClock } from "../../functions/core/shared/clock.js";
import { createClicksHandler } from "../../functions/handlers/clicks.js";
import { createLinkHandler } from "../../functions/handlers/link.js";
import {
  createTableFromTemplate,
  type startDynamoDbLocal,
} from "../../functions/local/emulator/dynamodb-local.js";
import { startHttpServer } from "../../functions/local/emulator/server.js";
import { synthesizeTemplate } from "../../functions/local/emulator/synth.js";
import { load, num, percentile, record, round } from "../harness.js";

/**
 * `GET /l/{code}` through the real HTTP server and the link function's own adapter (one GetItem a follow),
 * against a bare GetItem of the same items from this process, at the same concurrency. The clicks are
 * handed on as the function hands them to its log, then counted by the clicks function's handler from the
 * same lines, gzipped as the subscription delivers them: on AWS that runs elsewhere, off the redirect's path.
 */
export async function links(dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>) {
  const config = parseShopConfig({});
  const table = `bench-${randomUUID().slice(0, 8)}`;
  await createTableFromTemplate(dynamo.client, synthesizeTemplate(config), table);
  const store = new Store(dynamo.client, table);
  // Whole rounds of five (the redirects and the GetItems are measured in turns).
  const total = Math.ceil(num("ingest-requests") / 5) * 5;
  const concurrency = num("concurrency");
  const warmup = 200;
  const codes = Array.from({ length: 2 * total + 2 * warmup }, () => newLinkCode());
  await load(codes.length, concurrency, async (i) => {
    await store.putLink({
      code: codes[i] as string,
      target: `https://shop.cn/pay/o${i}`,
      journey: "payment-reminder",
      step: "first",
      subjectId: `o${i}`,
      customerId: `c${i}`,
      orderId: `o${i}`,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
  });
  const doc = DynamoDBDocumentClient.from(dynamo.client);
  const lines: string[] = [];
  const handler = createLinkHandler({
    links: new LinkReads(doc, table),
    clicks: { record: (click) => void lines.push(clickLine(click)) },
    clock: systemClock,
  });
  const http = await startHttpServer([{ method: "GET", path: LINK_PATH, handler }]);
  const get = (i: number) =>
    doc
      .send(new GetCommand({ TableName: table, Key: { pk: `LINK#${codes[i]}`, sk: "LINK" } }))
      .then(() => {});
  const agent = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  const follow = follower(new URL(http.url), agent, codes);
  // Warmed up, then in turns (5 rounds of each), so a slow spell of this shared machine slows both alike;
  // every code is read once by the baseline and followed once.
  await load(warmup, concurrency, get);
  const base = warmup + total;
  await load(warmup, concurrency, (i) => follow(base + i));
  const rounds = 5;
  const perRound = Math.ceil(total / rounds);
  const bareRuns: Awaited<ReturnType<typeof load>>[] = [];
  const followRuns: Awaited<ReturnType<typeof load>>[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const offset = round * perRound;
    bareRuns.push(await load(perRound, concurrency, (i) => get(warmup + offset + i)));
    followRuns.push(await load(perRound, concurrency, (i) => follow(base + warmup + offset + i)));
  }
  const merged = (runs: typeof bareRuns) => {
    const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perSecond: runs.reduce((sum, run) => sum + run.perSecond, 0) / runs.length,
    };
  };
  const bare = merged(bareRuns);
  const follows = merged(followRuns);
  agent.destroy();
  await http.close();
  const { counted, countSeconds, batches } = await countClicks(doc, store, table, lines);
  if (counted !== total + warmup) throw new Error(`${counted} clicks counted of ${total + warmup} followed`);
  const ratio = round(follows.p50 / bare.p50);
  record({
    figure: "GET /l/{code} p50 / bare GetItem p50",
    value: ratio,
    unit: "×",
    target: "≤ 1.5×",
    met: ratio <= 1.5,
    detail: `redirect p50 ${round(follows.p50)} ms, p99 ${round(follows.p99)} ms, ${round(follows.perSecond, 0)} req/s; GetItem p50 ${round(bare.p50)} ms, p99 ${round(bare.p99)} ms, ${round(bare.perSecond, 0)} req/s; ${rounds * perRound} follows of distinct codes at concurrency ${concurrency} through the real HTTP server and DynamoDB Local, in ${rounds} rounds in turns with the GetItems`,
  });
  record({
    figure: "clicks counted per second (clicks handler, DynamoDB Local)",
    value: round(counted / countSeconds, 0),
    unit: "/s",
    detail: `${counted} clicks from ${batches} gzipped log batches, 4 at a time, every one counted and listed for the report`,
  });
}

/**
 * Follows code `i` through the server. The load generator shares this process with the server: node:http
 * on a keep-alive agent costs it half what undici's fetch does here, so less of the client's own work is
 * counted in the redirect's latency.
 */
function follower(server: URL, agent: HttpAgent, codes: readonly string[]) {
  return (i: number) =>
    new Promise<void>((resolve, reject) => {
      const call = httpRequest(
        { host: server.hostname, port: server.port, path: `/l/${codes[i]}`, agent },
        (response) => {
          response.resume();
          response.on("end", () =>
            response.statusCode === 302
              ? resolve()
              : reject(new Error(`the link answered ${response.statusCode}`)),
          );
        },
      );
      call.on("error", reject);
      call.end();
    });
}

/**
 * The clicks counted by the clicks function's handler from the link function's log lines, gzipped in the
 * subscription's batches (up to 100 log events each here), every one counted and listed for the report.
 */
async function countClicks(
  doc: DynamoDBDocumentClient,
  store: Store,
  table: string,
  lines: readonly string[],
) {
  const handler = createClicksHandler({ links: new ClickCounts(doc, table) });
  const batches = Array.from({ length: Math.ceil(lines.length / 100) }, (_, b) =>
    lines.slice(b * 100, b * 100 + 100),
  );
  const countStarted = performance.now();
  let counted = 0;
  await load(batches.length, 4, async (b) => {
    const logEvents = (batches[b] ?? []).map((message, i) => ({
      id: `${b}-${i}`,
      timestamp: Date.now(),
      message,
    }));
    const data = gzipSync(JSON.stringify({ messageType: "DATA_MESSAGE", logEvents })).toString("base64");
    const result = await handler({ awslogs: { data } });
    counted += result.counted;
  });
  const countSeconds = (performance.now() - countStarted) / 1000;
  const listed = (await store.listClickedLinks()).length;
  if (listed !== counted) throw new Error(`${counted} clicks counted, ${listed} links listed`);
  return { counted, countSeconds, batches: batches.length };
}
