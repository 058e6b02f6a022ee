import { AddressInfo, Server, Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP proxy between the app and PostgreSQL that can freeze: while frozen it passes no byte in
 * either direction and opens no new upstream connection, but closes nothing — what a network
 * black hole looks like to both ends. Thawing passes everything held back and goes on.
 */
export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  /** Pipes waiting for a thaw: each resumes its client socket (and connects upstream if it has not). */
  const waiting: (() => void)[] = [];

  const pipe = (client: Socket) => {
    const upstream = createConnection({ host: targetHost, port: targetPort });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      from.on('data', (chunk) => {
        if (!frozen) {
          to.write(chunk);
          return;
        }
        // Held back, and nothing more read, until the thaw.
        from.pause();
        waiting.push(() => {
          to.write(chunk);
          from.resume();
        });
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  };

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (frozen) {
      client.pause();
      waiting.push(() => {
        pipe(client);
        client.resume();
      });
    } else {
      pipe(client);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    urlFor: (url) => {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const resume of waiting.splice(0)) resume();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
