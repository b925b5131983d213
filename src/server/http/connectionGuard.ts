/**
 * Bounds on open connections, so a flood of idle sockets cannot starve the service: at most
 * `maxTotal` open and `maxPerClient` from one address. A new connection over a bound takes the
 * place of the oldest idle one (no request in flight), so health checks and real clients still get
 * in; only when every connection is busy is the new one refused.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  maxTotal: number;
  maxPerClient: number;
}

export const defaultConnectionLimits: ConnectionLimits = { maxTotal: 4096, maxPerClient: 1024 };

export function guardConnections(server: Server, limits: ConnectionLimits): { open(): number } {
  const all = new Set<Socket>();
  const byClient = new Map<string, Set<Socket>>();
  const inFlight = new Map<Socket, number>();

  /** Closes the oldest connection of `set` with no request in flight; false when every one is busy. */
  const evictIdle = (set: Set<Socket>): boolean => {
    for (const socket of set) {
      if (!inFlight.get(socket)) {
        socket.destroy();
        forget(socket);
        return true;
      }
    }
    return false;
  };
  const forget = (socket: Socket) => {
    all.delete(socket);
    inFlight.delete(socket);
    const client = byClient.get(socket.remoteAddress ?? '');
    client?.delete(socket);
    if (client && client.size === 0) byClient.delete(socket.remoteAddress ?? '');
  };

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    let mine = byClient.get(address);
    if (!mine) byClient.set(address, (mine = new Set()));
    if ((mine.size >= limits.maxPerClient && !evictIdle(mine)) || (all.size >= limits.maxTotal && !evictIdle(all))) {
      socket.destroy();
      return;
    }
    mine.add(socket);
    all.add(socket);
    socket.once('close', () => forget(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const n = (inFlight.get(socket) ?? 1) - 1;
      if (all.has(socket)) inFlight.set(socket, n);
    });
  });
  return { open: () => all.size };
}
