import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  /** The port bound (the one asked for, or the one the system gave for 0). */
  readonly port: number;
  /** Stops listening and ends the open connections. */
  close(): Promise<void>;
}

/** Binds an HTTP server to `host:port`; rejects when the address cannot be used (taken, not ours). */
export async function listen(
  server: Server,
  where: { readonly host: string; readonly port: number },
): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
