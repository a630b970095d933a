import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A protocol-level fake's HTTP side: a server on 127.0.0.1 and a random port that reads each request's
 * body and hands it to {@link LoopbackFake.handle}.
 */
export abstract class LoopbackFake {
  private server: Server | undefined;
  url = "";

  protected abstract handle(
    request: IncomingMessage,
    response: ServerResponse,
    body: string,
  ): Promise<void> | void;

  async start(): Promise<this> {
    const server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      await this.handle(request, response, Buffer.concat(chunks).toString("utf8"));
    });
    // Node's 5 s default closes idle keep-alive sockets that the SDK's pool may be reusing that very moment
    // ("socket hang up", which the providers rightly call ambiguous and never resend); AWS endpoints and
    // load balancers keep idle connections about a minute.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** The service a request is SigV4-signed for (`sns`, `sqs`, …), or undefined when it is not SigV4-signed. */
export function sigV4Service(request: IncomingMessage): string | undefined {
  return /^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/[\w-]+\/([\w-]+)\/aws4_request, SignedHeaders=[\w;-]+, Signature=[0-9a-f]{64}$/.exec(
    String(request.headers.authorization ?? ""),
  )?.[1];
}
