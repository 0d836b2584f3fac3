/** Free TCP ports on 127.0.0.1, chosen before the servers start so every URL is known up front. */
import { createServer, type Server } from 'node:net';

/**
 * `count` distinct free ports: each probe listens on port 0 and stays open until all are read, so the
 * kernel cannot hand the same port out twice; a port may still be taken by someone else after this.
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const probe = createServer();
      probes.push(probe);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          probe.once('error', reject);
          probe.listen(0, '127.0.0.1', () => {
            const address = probe.address();
            if (address && typeof address === 'object') resolve(address.port);
            else reject(new Error('could not read the probe port'));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(probes.map((probe) => new Promise<void>((resolve) => probe.close(() => resolve()))));
  }
}
