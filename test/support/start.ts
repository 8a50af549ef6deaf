// `npm start`: the local MogileFS cluster and the gateway in front of it, until
// Ctrl-C. The gateway listens on http://127.0.0.1:8080 (PORT changes it) and
// serves domain `files` under /files/.
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { runLocalCluster } from "../cluster/start";
import { startGateway } from "../gateway/gateway";

const DEFAULT_PORT = 8080;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
}

function gatewayPort(): number {
  const text = process.env.PORT ?? String(DEFAULT_PORT);
  const port = Number(text);
  if (!/^[0-9]+$/.test(text) || port < 1 || port > 65535) {
    throw new Error(`PORT must be a TCP port number (1-65535), not ${JSON.stringify(text)}`);
  }
  return port;
}

async function main(): Promise<void> {
  const port = gatewayPort();
  if (!(await portIsFree(port))) {
    throw new Error(
      `port ${port} on 127.0.0.1 is taken: stop what holds it, or run PORT=8081 npm start`,
    );
  }
  const stateDir = resolve(".mogilefs");
  const cluster = await runLocalCluster({ stateDir });
  const gatewayDir = join(stateDir, "gateway");
  mkdirSync(gatewayDir, { recursive: true });
  const gateway = await startGateway({
    trackers: cluster.trackers.map((t) => t.address),
    port,
    dir: gatewayDir,
    serverExtra: `
    # The location an operator would write: domain "files", reads for everyone.
    location /files/ {
      set $mogilefs_domain files;
      include conf/location.conf;
    }`,
  });
  const url = `${gateway.url}/files`;
  const tracker = cluster.trackers[0].address;
  console.log(`
Gateway ready: ${url}/  (nginx files and logs in ${gatewayDir})

Store a file through the tracker and a storage node, then read it through nginx:
  node dist/cluster/upload.mjs ${tracker} files hello.txt README.md
  curl -i ${url}/hello.txt
  curl -I ${url}/hello.txt
  curl -r 0-99 ${url}/hello.txt
  curl -i ${url}/no-such-key

Press Ctrl-C to stop everything.`);
}

main().catch((e: unknown) => {
  console.error(`npm start: ${(e as Error).message ?? String(e)}`);
  process.exit(1);
});
