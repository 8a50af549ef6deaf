import { createServer } from "node:net";

// The OS picks a port nobody holds; the caller binds it right after. A tiny race
// remains, but fixed ports collide far more often on shared CI machines.
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port from the OS"))));
    });
  });
}
