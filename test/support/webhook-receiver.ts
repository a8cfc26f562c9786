// A subscriber as an app would run one: a local HTTP server that verifies every delivery with the
// Standard Webhooks library (npm standardwebhooks), not with the server's code, and records what
// it accepted. It can refuse an event's first attempts, hold its answers, or answer oddly.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { until } from "./wait.ts";

export interface Received {
  id: string;
  type: string;
  subject: string;
  actor: string | null;
  changed?: string[];
  data: Record<string, unknown>;
  /** The raw request, for the attack tests. */
  body: string;
  headers: Record<string, string>;
}

export class WebhookReceiver {
  /** Verified deliveries answered 2xx, in the order they arrived. */
  readonly accepted: Received[] = [];
  /** Attempts per event id, failed ones included. */
  readonly attempts = new Map<string, number>();
  /** Deliveries whose signature did not verify with any secret. */
  unverified = 0;
  /** The secrets a delivery may be signed with (any one verifying is enough). */
  secrets: string[] = [];
  /** Each event's first n attempts are answered 500. */
  failFirst = 0;
  /** Answers are held this long. */
  holdMs = 0;
  /** While set (hold()), answers wait until release(). */
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  /** Requests not answered yet. */
  inFlight = 0;
  private server: http.Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => void this.handle(req, Buffer.concat(chunks).toString(), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return this;
  }

  private async handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let payload: Record<string, unknown> | undefined;
    for (const secret of this.secrets) {
      try {
        payload = new Webhook(secret).verify(body, headers) as Record<string, unknown>;
        break;
      } catch {
        // Another secret may verify it.
      }
    }
    if (!payload) {
      this.unverified++;
      this.inFlight--;
      res.writeHead(401).end();
      return;
    }
    const id = headers["webhook-id"]!;
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    if (this.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, this.holdMs));
    await this.gate?.promise;
    this.inFlight--;
    if (attempt <= this.failFirst) {
      res.writeHead(500).end("not yet");
      return;
    }
    this.accepted.push({
      id,
      type: payload.type as string,
      subject: payload.subject as string,
      actor: payload.actor as string | null,
      ...(payload.changed ? { changed: payload.changed as string[] } : {}),
      data: payload.data as Record<string, unknown>,
      body,
      headers,
    });
    res.writeHead(204).end();
  }

  /** Holds every answer until release(): an attempt kept under way for as long as a test needs, whatever the machine's speed. */
  hold(): void {
    let open = () => {};
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** Accepted events of `type` (about `subject`, when given). */
  of(type: string, subject?: string): Received[] {
    return this.accepted.filter((r) => r.type === type && (subject === undefined || r.subject === subject));
  }

  async waitFor(type: string, subject: string | undefined, timeoutMs = 5000): Promise<Received> {
    await until(() => this.of(type, subject).length > 0, timeoutMs, `${type} for ${subject ?? "anyone"}`, 20);
    return this.of(type, subject)[0]!;
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
