// Connections that have sent nothing yet, closed when the listener closes, on every Node.js.
//
// A browser's speculative preconnect, a load balancer's TCP check or a client that never writes
// holds a connection without a byte of request. Node 26's server.close() closes such connections
// (nodejs/node#63470); Node 22 and 24 wait for them, so one of them held a shutdown until
// SHUTDOWN_TIMEOUT_SECONDS and made it exit 1. A connection that has sent part of a request is
// left alone: its request is answered (503 while draining) and then its connection closes.
import type { Server, Socket } from "node:net";

export interface SilentConnections {
  /** Once the listener is closed: destroys every connection that has not sent a byte. */
  close(): void;
}

export function trackSilentConnections(server: Server): SilentConnections {
  const open = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  return {
    close() {
      for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
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
