import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { safeEqual } from "../../core/intake/webhooks/signatures.js";
import { TOKEN_HEADER } from "../cli/admin-client.js";

/**
 * Who may call a local route. `public`: any client, as on the deployed API (the webhooks, Aliyun's pushes, the
 * short links). `operator`: only the server's own page and the command line on this machine, with the per-run
 * token — see {@link operatorRefusal}.
 */
export type LocalAccess = { readonly kind: "public" } | { readonly kind: "operator"; readonly token: string };

/** A route of the local HTTP server: API Gateway's route key and the Lambda handler behind it. */
export interface LocalRoute {
  readonly method: "POST" | "GET";
  readonly path: string;
  readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  /** @default `{ kind: "public" }` for a route without one (the webhook API's own) */
  readonly access?: LocalAccess;
}

/** A fresh per-run token for the operator routes (192 random bits, URL-safe). */
export function newOperatorToken(): string {
  return randomBytes(24).toString("base64url");
}

/** The public access of the webhook API's routes. */
export const PUBLIC: LocalAccess = { kind: "public" };

/**
 * Why an operator route refuses a request, or undefined when it may go on. A web page of any other site can
 * send a browser to 127.0.0.1 (a "simple" cross-origin POST needs no preflight: CSRF), and a name of the
 * attacker's that resolves to 127.0.0.1 makes the browser treat this server as the attacker's origin (DNS
 * rebinding). So: the Host must be this server's own loopback name and port (rebinding carries the
 * attacker's name); an Origin, when the browser sends one, must be this server's own; a POST's body must be
 * `application/json` (which a cross-origin page cannot send without a preflight this server never answers);
 * and it must carry the token the page was served with (which no other origin can read).
 */
export function operatorRefusal(
  request: Pick<IncomingMessage, "method" | "headers">,
  port: number,
  token: string,
): string | undefined {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const host = (request.headers.host ?? "").toLowerCase();
  if (!own.includes(host)) return `Host must be one of ${own.join(", ")}`;
  const origin = request.headers.origin;
  if (origin !== undefined && !own.some((name) => origin.toLowerCase() === `http://${name}`))
    return "Origin is not this server's";
  if (request.method === "GET") return undefined;
  const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") return "the body must be application/json";
  const given = request.headers[TOKEN_HEADER];
  if (typeof given !== "string" || !safeEqual(token, given)) return `missing or wrong ${TOKEN_HEADER}`;
  return undefined;
}

async function readBody(
  request: IncomingMessage,
  limit: number,
): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  return { body: Buffer.concat(chunks), tooLarge };
}

/**
 * The path parameters of a route key like `/l/{code}` for a request path, as API Gateway gives them
 * (one segment each, decoded); undefined when the path is not the route's.
 */
export function matchRoute(routePath: string, path: string): Record<string, string> | undefined {
  const want = routePath.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const value = got[index] ?? "";
    const parameter = /^\{(\w+)\}$/.exec(segment);
    if (!parameter) {
      if (segment !== value) return undefined;
    } else {
      if (value === "") return undefined;
      try {
        parameters[parameter[1] as string] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return parameters;
}

function toApiGatewayEvent(
  request: IncomingMessage,
  path: string,
  body: Buffer,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const url = new URL(request.url ?? "/", "http://localhost");
  const now = new Date();
  return {
    version: "2.0",
    routeKey: `${request.method} ${path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: `local-${now.getTime()}`,
      routeKey: `${request.method} ${path}`,
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}

/**
 * A real HTTP server that serves the same routes as the deployed HTTP API, turning each request into the
 * API Gateway v2 event the Lambda handler gets on AWS. Unknown routes get 404, a handler crash 500.
 */
export async function startHttpServer(
  routes: readonly LocalRoute[],
  options: { port?: number; host?: string; maxBodyBytes?: number } = {},
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  // Read a little past the handler's limit so the handler itself answers 413 with its own message.
  const readLimit = (options.maxBodyBytes ?? 262_144) + 1;
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    // The route and its path parameters, matched once.
    let route: LocalRoute | undefined;
    let parameters: Record<string, string> = {};
    for (const candidate of routes) {
      const matched = candidate.method === request.method ? matchRoute(candidate.path, path) : undefined;
      if (matched) {
        route = candidate;
        parameters = matched;
        break;
      }
    }
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(body);
    };
    if (!route) return send(404, JSON.stringify({ error: `no route ${request.method} ${path}` }));
    const access = route.access ?? PUBLIC;
    if (access.kind === "operator") {
      const refusal = operatorRefusal(request, port, access.token);
      // Refused before the body is read or the handler runs: nothing changes, nothing is read.
      if (refusal)
        return send(403, JSON.stringify({ error: `forbidden: ${refusal}` }), { connection: "close" });
    }
    try {
      // A GET has no body to wait for (the short links' route is one).
      const { body, tooLarge } =
        request.method === "GET"
          ? { body: Buffer.alloc(0), tooLarge: false }
          : await readBody(request, readLimit);
      if (tooLarge) return send(413, JSON.stringify({ error: `body larger than ${readLimit - 1} bytes` }));
      const result = await route.handler(toApiGatewayEvent(request, route.path, body, parameters));
      const headers = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
      );
      send(result.statusCode ?? 200, result.body ?? "", headers);
    } catch (error) {
      console.error(`[http] ${request.method} ${path} failed:`, error);
      send(500, JSON.stringify({ error: "internal error" }));
    }
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  return {
    server,
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
