// A bounded soak: many clients mixing GET, PUT, overwrite and DELETE for a few
// minutes (SOAK_SECONDS, default 150), every body checked. Each client owns its
// keys, so "the last acknowledged body" of a key is well defined: a read must
// return exactly it, or 404 after a DELETE.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readlinkSync } from "node:fs";
import { Agent, request } from "node:http";
import { afterAll, expect, it, onTestFailed } from "vitest";
import { printLogsOnFailure, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { type Gateway, startGateway } from "./gateway";
import { mogilefsLocation } from "./suite";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 150);
const CLIENTS = 16;
const KEYS_PER_CLIENT = 6;

const cluster = useCluster({ trackers: 2, storageHosts: 2 });
const prefix = uniquePrefix("soak");
let gateway: Gateway | undefined;

afterAll(async () => {
  await gateway?.stop();
});

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

function call(
  url: string,
  method: string,
  body?: Buffer,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((done, fail) => {
    const headers: Record<string, string> = body ? { "Content-Length": String(body.length) } : {};
    const req = request(url, { method, agent, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", fail);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", fail);
    req.end(body);
  });
}

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function openFiles(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + readdirSync(`/proc/${pid}/fd`).length, 0);
}

// What the workers hold open, by kind: for the failure message.
function openFileKinds(pids: number[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target = "?";
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`)
          .replace(/\[\d+\]$/, "")
          .replace(/\/[^/]*$/, "/");
      } catch {
        // closed meanwhile
      }
      kinds[target] = (kinds[target] ?? 0) + 1;
    }
  }
  return kinds;
}

type Tally = { gets: number; puts: number; deletes: number; corrupt: string[]; errors: string[] };

async function client(
  base: string,
  id: number,
  until: number,
  tally: Tally,
  acked: Map<string, string | null>,
) {
  const keys = Array.from({ length: KEYS_PER_CLIENT }, (_x, k) => `${prefix}c${id}/k${k}`);
  while (Date.now() < until) {
    const key = keys[Math.floor(Math.random() * keys.length)];
    const url = `${base}/files/${key}`;
    const roll = Math.random();
    if (roll < 0.55) {
      const reply = await call(url, "GET");
      tally.gets++;
      const expected = acked.get(key);
      if (expected === undefined || expected === null) {
        if (reply.status !== 404) {
          tally.corrupt.push(`${key}: expected 404, got ${reply.status}`);
        }
      } else if (reply.status !== 200 || sha(reply.body) !== expected) {
        tally.corrupt.push(
          `${key}: expected its last body, got ${reply.status} (${reply.body.length} bytes)`,
        );
      }
    } else if (roll < 0.9) {
      const body = randomBytes(1 + Math.floor(Math.random() * 64 * 1024));
      const reply = await call(url, "PUT", body);
      tally.puts++;
      if (reply.status === 201) {
        acked.set(key, sha(body));
      } else {
        tally.errors.push(`PUT ${key}: ${reply.status} ${reply.body.toString()}`);
      }
    } else {
      const reply = await call(url, "DELETE");
      tally.deletes++;
      if (reply.status === 204 || reply.status === 404) {
        if (reply.status === 404 && acked.get(key)) {
          tally.corrupt.push(`${key}: DELETE said 404 for a stored key`);
        }
        acked.set(key, null);
      } else {
        tally.errors.push(`DELETE ${key}: ${reply.status}`);
      }
    }
  }
}

it(
  `holds up under ${SECONDS} s of mixed load with every body checked`,
  async () => {
    printLogsOnFailure(cluster);
    const c = cluster();
    gateway = await startGateway({
      trackers: c.trackers.map((t) => t.address),
      serverExtra: mogilefsLocation("/files/", {
        domain: c.domain,
        methods: "GET HEAD PUT DELETE",
      }),
    });
    const g = gateway;
    onTestFailed(() => console.error(`gateway error log:\n${g.errorLog()}`));
    const pids = g.workerPids();
    // Warm up: tracker and storage connections are opened once, then kept.
    await call(`${g.url}/files/${prefix}warm-up`, "PUT", Buffer.from("warm"));
    await call(`${g.url}/files/${prefix}warm-up`, "GET");
    const filesBefore = openFiles(pids);

    const tally: Tally = { gets: 0, puts: 0, deletes: 0, corrupt: [], errors: [] };
    const acked = new Map<string, string | null>();
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, (_x, id) => client(g.url, id, until, tally, acked)),
    );
    agent.destroy();

    // Every key that got a 201 and was not deleted reads back with its last body.
    const lost: string[] = [];
    for (const [key, expected] of acked) {
      const reply = await call(`${g.url}/files/${key}`, "GET");
      if (
        expected === null
          ? reply.status !== 404
          : reply.status !== 200 || sha(reply.body) !== expected
      ) {
        lost.push(`${key}: ${reply.status}`);
      }
    }
    // Idle connections from this run close; nginx keeps no more than before.
    await new Promise((r) => setTimeout(r, 1000));
    const filesAfter = openFiles(pids);
    console.info(
      `soak: ${tally.gets} GET, ${tally.puts} PUT, ${tally.deletes} DELETE in ${SECONDS} s; ` +
        `${tally.corrupt.length} corrupt, ${tally.errors.length} errors; worker fds ${filesBefore} -> ${filesAfter} ${JSON.stringify(openFileKinds(pids))}`,
    );
    expect(tally.corrupt).toEqual([]);
    expect(tally.errors).toEqual([]);
    expect(lost).toEqual([]);
    expect(tally.gets + tally.puts + tally.deletes).toBeGreaterThan(SECONDS * 20);
    // The only thing allowed to grow is the pool of kept-alive tracker connections:
    // up to tracker.keepalive (16) per worker, three sockets each (the http side's
    // unix socket, the bridge's end of it, the bridge's TCP to a tracker). A leak
    // of one descriptor per request would be thousands.
    expect(filesAfter - filesBefore).toBeLessThanOrEqual(pids.length * 16 * 3);
  },
  (SECONDS + 120) * 1000,
);
