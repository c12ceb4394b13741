import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  contentType: string;
  event: { id: string; type: string; subject: string; source: string; specversion: string; time: string; data: Record<string, any> };
}

/**
 * A webhook receiver as a subscriber writes one: every request's signature is
 * verified with the Standard Webhooks library from npm; only verified,
 * first-seen webhook-ids count. It can be told to fail, and be stopped and
 * started again on the same port (a receiver that is down for a while).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly refusedSignatures: string[] = [];
  /** Every request answered, verified or not, with the status. */
  readonly requests: { id: string; status: number }[] = [];
  /** The webhook-id of every request that arrived, answered or not (a held one whose sender died never is). */
  private readonly arrivals: string[] = [];
  private server: Server | null = null;
  private secret: string | null = null;
  port = 0;
  /** Answered instead of 204 while set. */
  failWith: number | null = null;
  /** While set, a verified request is recorded and its answer held this long (a slow receiver). */
  holdMs = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  useSecret(secret: string): void {
    this.secret = secret;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(request.headers['webhook-id'] ?? '');
        this.arrivals.push(id);
        const answer = (status: number) => {
          // A held request whose sender has gone is never answered.
          if (request.socket.destroyed) return;
          this.requests.push({ id, status });
          response.writeHead(status).end();
        };
        if (this.failWith !== null) return answer(this.failWith);
        try {
          if (this.secret === null) throw new Error('no secret yet');
          new Webhook(this.secret).verify(body, request.headers as Record<string, string>);
        } catch (error) {
          this.refusedSignatures.push(`${id}: ${(error as Error).message}`);
          return answer(400);
        }
        // At least once: a receiver dedupes by webhook-id.
        if (!this.received.some((r) => r.id === id)) this.received.push({ id, contentType: String(request.headers['content-type']), event: JSON.parse(body) });
        if (this.holdMs > 0) setTimeout(() => answer(204), this.holdMs);
        else answer(204);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  requestIds(): string[] {
    return [...this.arrivals];
  }

  types(): string[] {
    return this.received.map((r) => `${r.event.type} ${r.event.subject}`);
  }
}
