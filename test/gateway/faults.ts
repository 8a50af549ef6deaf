import { createServer as createHttpServer, request, type Server } from "node:http";
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from "node:net";

// Fault injection in front of real daemons. A storage node is put behind a proxy
// by pointing its host's GET port (MogileFS's http_get_port, used for get_paths
// URLs) at the proxy, so reads of chosen paths can fail in chosen ways while
// everything else (the tracker's monitor, replication, PUTs) reaches the real node.

export type StorageFault =
  | { kind: "status"; status: number }
  // Headers and the first bytes of the body, then the connection is cut.
  | { kind: "drop-mid-body"; after: number }
  // The answer starts only after this long.
  | { kind: "slow"; delayMs: number };

export type FaultyStorage = {
  port: number;
  // Paths that end with `suffix` get the fault; null clears it.
  setFault(suffix: string, fault: StorageFault | null): void;
  // How many GETs of paths ending with `suffix` reached this proxy.
  hits(suffix: string): number;
  close(): Promise<void>;
};

export async function startFaultyStorage(ip: string, targetPort: number): Promise<FaultyStorage> {
  const faults = new Map<string, StorageFault>();
  const faultFor = (path: string) => {
    for (const [suffix, fault] of faults) {
      if (path.endsWith(suffix)) {
        return fault;
      }
    }
    return undefined;
  };
  const seen: string[] = [];
  const server: Server = createHttpServer((req, res) => {
    if (req.method === "GET") {
      seen.push(req.url ?? "");
    }
    const fault = faultFor(req.url ?? "");
    if (fault?.kind === "status") {
      req.resume();
      res.writeHead(fault.status, { "Content-Type": "text/plain" });
      res.end(`injected ${fault.status}\n`);
      return;
    }
    const forward = () => {
      const upstream = request(
        { host: ip, port: targetPort, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          if (fault?.kind !== "drop-mid-body") {
            answer.pipe(res);
            return;
          }
          let sent = 0;
          answer.on("data", (chunk: Buffer) => {
            if (sent >= fault.after) {
              return;
            }
            const piece = chunk.subarray(0, fault.after - sent);
            sent += piece.length;
            res.write(piece);
            if (sent >= fault.after) {
              answer.destroy();
              // Cut the connection as a crashing storage node would.
              res.socket?.destroy();
            }
          });
        },
      );
      upstream.on("error", () => res.socket?.destroy());
      req.pipe(upstream);
    };
    if (fault?.kind === "slow") {
      setTimeout(forward, fault.delayMs);
    } else {
      forward();
    }
  });
  await new Promise<void>((done) => server.listen(0, ip, done));
  return {
    port: (server.address() as AddressInfo).port,
    setFault(suffix, fault) {
      if (fault) {
        faults.set(suffix, fault);
      } else {
        faults.delete(suffix);
      }
    },
    hits: (suffix) => seen.filter((path) => path.endsWith(suffix)).length,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export type SlowTracker = { address: string; setDelay(ms: number): void; close(): Promise<void> };

// A TCP proxy in front of a tracker that holds each answer back for a while.
export async function startSlowTracker(target: string): Promise<SlowTracker> {
  const [host, port] = target.split(":");
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const tracker = connect(Number(port), host);
    sockets.add(client);
    sockets.add(tracker);
    client.pipe(tracker);
    tracker.on("data", (chunk: Buffer) => {
      setTimeout(() => client.write(chunk), delayMs);
    });
    const close = () => {
      client.destroy();
      tracker.destroy();
    };
    client.on("close", close);
    tracker.on("close", close);
    client.on("error", close);
    tracker.on("error", close);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDelay(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => done());
      }),
  };
}
