/**
 * Network faults for transport tests, on 127.0.0.1: a TCP proxy that can freeze every connection
 * through it at a chosen moment (a server that stalls mid-transfer), and a server that accepts
 * connections and never says a word (a handshake that never completes).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** A running proxy; `pause()` freezes every connection through it. */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Bytes forwarded from the target to clients so far. */
  readonly bytesToClient: () => number;
  /** Stops forwarding in both directions; the connections stay open. */
  readonly pause: () => void;
  readonly resume: () => void;
  readonly close: () => Promise<void>;
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });

const closeServer = (server: Server, sockets: Set<Socket>): Promise<void> =>
  new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });

/** A proxy from a free port on 127.0.0.1 to `target`. */
export const start = async (target: { readonly host: string; readonly port: number }): Promise<TcpProxy> => {
  const sockets = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  let paused = false;
  let accepted = 0;
  let toClient = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const connect = ([client, upstream]: readonly [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const freeze = ([client, upstream]: readonly [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const server = createServer((client) => {
    accepted++;
    const upstream = createConnection(target);
    const pair = [client, upstream] as const;
    pairs.add(pair);
    track(client);
    track(upstream);
    upstream.on("data", (chunk: Buffer) => {
      toClient += chunk.length;
    });
    client.on("close", () => {
      upstream.destroy();
      pairs.delete(pair);
    });
    upstream.on("close", () => client.destroy());
    if (paused) freeze(pair);
    else connect(pair);
  });
  const port = await listen(server);
  return {
    host: "127.0.0.1",
    port,
    connections: () => accepted,
    bytesToClient: () => toClient,
    pause: () => {
      paused = true;
      pairs.forEach(freeze);
    },
    resume: () => {
      paused = false;
      pairs.forEach(connect);
    },
    close: () => closeServer(server, sockets),
  };
};

/** A server that accepts connections and never sends a byte. */
export interface SilentServer {
  readonly host: string;
  readonly port: number;
  readonly connections: () => number;
  readonly close: () => Promise<void>;
}

/** Accepts TCP connections on a free port and never sends anything. */
export const silent = async (): Promise<SilentServer> => {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(server);
  return { host: "127.0.0.1", port, connections: () => accepted, close: () => closeServer(server, sockets) };
};
