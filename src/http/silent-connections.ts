// Connections that hold a shutdown without a request to answer, closed when the listener closes,
// on every Node.js.
//
// A browser's speculative preconnect, a load balancer's TCP check or a client that never writes
// holds a connection without a byte of request. Node 26's server.close() closes such connections
// (nodejs/node#63470); Node 22 and 24 wait for them, so one of them held a shutdown until
// SHUTDOWN_TIMEOUT_SECONDS and made it exit 1. A connection that has sent part of a request is
// given the time it had before: its headers within headersTimeout, the whole request within
// requestTimeout (then it is answered, 503 while draining, and its connection closes). Node.js
// stops enforcing both once the listener closes (server.close() clears its connections check), so
// without this sweep one byte and silence, or headers and half a body, held the shutdown as well.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface SilentConnections {
  /**
   * Once the listener is closed: destroys every connection that has not sent a byte; after the
   * server's headersTimeout, every one without a request whose headers arrived; after its
   * requestTimeout, every one whose request has not arrived whole.
   */
  close(): void;
}

export function trackSilentConnections(server: Server): SilentConnections {
  const open = new Set<Socket>();
  /**
   * Each connection's latest request, answered once its response has ended. One Map write a
   * request and no listener: this runs on every request.
   */
  const latest = new Map<Socket, { request: IncomingMessage; response: ServerResponse }>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => {
      open.delete(socket);
      latest.delete(socket);
    });
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    latest.set(request.socket, { request, response });
  });
  const answering = (socket: Socket) => {
    const exchange = latest.get(socket);
    return exchange !== undefined && !exchange.response.writableEnded ? exchange : undefined;
  };
  // Nothing left to wait for (every connection closed) must not keep the process alive: unref.
  const after = (ms: number, sweep: () => void) => ms > 0 && setTimeout(sweep, ms).unref();
  return {
    close() {
      for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
      after(server.headersTimeout, () => {
        for (const socket of open) if (!answering(socket)) socket.destroy();
      });
      after(server.requestTimeout, () => {
        for (const socket of open) if (answering(socket)?.request.complete === false) socket.destroy();
      });
    },
  };
}

/**
 * Resolves once `server` accepts no more connections: Fastify's close() closes the listener a few
 * ticks after it is called, after its preClose hooks. Gives up after `limitMs` (a close that
 * failed before it got there), so that a shutdown never waits here.
 */
export async function listenerClosed(server: Server, limitMs = 1000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (server.listening && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}
