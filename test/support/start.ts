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
    // Status and health for this machine only (counters where njs has ngx.shared).
    config: { status: { enabled: true } },
    serverExtra: `
    # The location an operator would write: domain "files", open for reads and
    # writes (a real site would allow writes to its own clients only).
    location /files/ {
      set $mogilefs_domain files;
      set $mogilefs_methods "GET HEAD PUT DELETE";
      set $mogilefs_list on;
      client_max_body_size 0;
      include conf/location.conf;
    }`,
  });
  const url = `${gateway.url}/files`;
  const tracker = cluster.trackers[0].address;
  console.log(`
Gateway ready: ${url}/  (nginx files and logs in ${gatewayDir})

Try it:
  curl -i -T README.md ${url}/docs/readme.md        # PUT: 201 once stored
  curl -i ${url}/docs/readme.md                     # GET
  curl -I ${url}/docs/readme.md                     # HEAD
  curl -r 0-99 ${url}/docs/readme.md                # a range
  curl "${url}/?prefix=docs/"                      # list keys (JSON)
  curl -i -X DELETE ${url}/docs/readme.md           # DELETE: 204
  curl -i ${url}/docs/readme.md                     # now 404
  curl ${gateway.url}/_mogilefs/health                 # 200 while a tracker answers
  curl "${gateway.url}/_mogilefs/status?format=prometheus"   # trackers, counters

Or store a file the way any MogileFS client does, straight to tracker and storage:
  node dist/cluster/upload.mjs ${tracker} files hello.txt README.md

Press Ctrl-C to stop everything.`);
}

main().catch((e: unknown) => {
  console.error(`npm start: ${(e as Error).message ?? String(e)}`);
  process.exit(1);
});
