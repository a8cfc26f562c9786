// Connections that have sent nothing yet, or have begun a request and stalled, closed when the
// listener closes, on every Node.js.
//
// A browser's speculative preconnect, a load balancer's TCP check or a client that never writes
// holds a connection without a byte of request. Node 26's server.close() closes such connections
// (nodejs/node#63470); Node 22 and 24 wait for them, so one of them held a shutdown until
// SHUTDOWN_TIMEOUT_SECONDS and made it exit 1. A connection that has sent part of a request is
// given its headers' time (headersTimeout) to finish them: its request is then answered (503 while
// draining) and its connection closes. Node.js stops enforcing headersTimeout once the listener
// closes (server.close() clears its connections check), so without this sweep one byte and silence
// held the shutdown just the same.
import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface SilentConnections {
  /**
   * Once the listener is closed: destroys every connection that has not sent a byte, and, after
   * the server's headersTimeout, every one that still has no request whose headers arrived.
   */
  close(): void;
}

export function trackSilentConnections(server: Server): SilentConnections {
  const open = new Set<Socket>();
  /** Connections with a request whose headers have arrived and whose answer is not yet sent. */
  const answering = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  server.on("request", (request: { socket: Socket }, response: { once(event: "close", listener: () => void): unknown }) => {
    answering.add(request.socket);
    response.once("close", () => answering.delete(request.socket));
  });
  return {
    close() {
      for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
      const overdue = setTimeout(() => {
        for (const socket of open) if (!answering.has(socket)) socket.destroy();
      }, server.headersTimeout);
      // Nothing left to wait for (every connection closed) must not keep the process alive.
      overdue.unref();
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
