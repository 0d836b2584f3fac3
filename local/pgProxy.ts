/**
 * A TCP proxy in front of PostgreSQL that counts round trips: every Sync (extended protocol) and every
 * simple Query a client sends is one wait for the server. The benchmark puts it between the functions and
 * the database to count database round trips per payout.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface PgCountingProxy {
  /** The same database URL, through the proxy. */
  url: string;
  roundTrips(): number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startPgCountingProxy(databaseUrl: string): Promise<PgCountingProxy> {
  const target = new URL(databaseUrl);
  let roundTrips = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(upstream);
    let buffered = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        // The startup message has no type byte; every later message is a type byte and an int32 length.
        const header = started ? 5 : 4;
        if (buffered.length < header) break;
        const length = started ? buffered.readInt32BE(1) + 1 : buffered.readInt32BE(0);
        if (buffered.length < length) break;
        if (started && (buffered[0] === 0x53 || buffered[0] === 0x51)) roundTrips += 1;
        started = true;
        buffered = buffered.subarray(length);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    roundTrips: () => roundTrips,
    reset: () => {
      roundTrips = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
