// Faults the gateway must ride out: storage nodes that fail, cut or crawl,
// slow trackers, the database going away under the trackers, and everything
// restarting while nginx keeps running. Local cluster only: every test here
// breaks a daemon on purpose.
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, onTestFailed } from "vitest";
import { closeTrackerConnections, expectOk, trackerCommand } from "../cluster/client";
import { storeFile } from "../cluster/files";
import { itLocalOnly, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { type FaultyStorage, startFaultyStorage, startSlowTracker } from "./faults";
import { fetchRaw, type Gateway, startGateway } from "./gateway";
import { gatewayLogsOnFailure, mogilefsLocation } from "./suite";

const cluster = useCluster({ trackers: 2, storageHosts: 2 });
const prefix = uniquePrefix("faults");
const proxies: FaultyStorage[] = [];
let gateway: Gateway | undefined;

function location(domain: string): string {
  return mogilefsLocation("/files/", { domain, methods: "GET HEAD PUT DELETE" });
}

beforeAll(async () => {
  const c = cluster();
  if (c.external) {
    return;
  }
  // Every GET path of both storage hosts goes through a proxy that can fail on demand.
  for (const node of c.storage) {
    const proxy = await startFaultyStorage(node.ip, node.port);
    proxies.push(proxy);
    await expectOk(c.trackers[0].address, "update_host", {
      host: node.hostname,
      getport: String(proxy.port),
    });
  }
  gateway = await startGateway({
    trackers: c.trackers.map((t) => t.address),
    config: {
      cache: { ttl: "3s" },
      storage: { connectTimeout: "1s", readTimeout: "1s" },
      tracker: { readTimeout: "1s", failTimeout: "1s" },
    },
    serverExtra: location(c.domain),
  });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all(proxies.map((p) => p.close()));
});

function g(): Gateway {
  if (!gateway) {
    throw new Error("gateway not started");
  }
  const current = gateway;
  gatewayLogsOnFailure(cluster, current);
  return current;
}

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// A key with a copy on each storage host, and the fid file name its paths end with.
async function replicated(name: string, body: Buffer): Promise<string> {
  const c = cluster();
  const stored = await storeFile(c.trackers[0].address, c.domain, `${prefix}${name}`, body, {
    class: "two",
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const answer = await trackerCommand(c.trackers[0].address, "get_paths", {
      domain: c.domain,
      key: `${prefix}${name}`,
      noverify: "1",
    });
    if (answer.kind === "ok" && answer.args.paths === "2") {
      return stored.path.slice(stored.path.lastIndexOf("/"));
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} never reached two copies`);
}

// The proxy of the storage node the gateway tries first for this fid: the
// first read (which caches the lookup) shows it.
// (The tracker's replicator reads through the proxies too: count differences.)
async function firstTried(name: string, fid: string): Promise<FaultyStorage> {
  const before = proxies.map((p) => p.hits(fid));
  expect((await fetchRaw(url(name))).status).toBe(200);
  const first = proxies.find((p, i) => p.hits(fid) > before[i]);
  if (!first) {
    throw new Error(`no proxy saw ${fid}`);
  }
  return first;
}

function url(key: string): string {
  return `${g().url}/files/${prefix}${key}`;
}

describe("storage faults", () => {
  itLocalOnly("moves on when a storage node answers 500", "injects faults", async () => {
    const body = randomBytes(5000);
    const fid = await replicated("answers-500.bin", body);
    const first = await firstTried("answers-500.bin", fid);
    first.setFault(fid, { kind: "status", status: 500 });
    const hitsBefore = first.hits(fid);
    try {
      const reply = await fetchRaw(url("answers-500.bin"));
      expect(reply.status).toBe(200);
      expect(sha(reply.body)).toBe(sha(body));
      // The faulty node was asked first, then the gateway moved on.
      expect(first.hits(fid)).toBe(hitsBefore + 1);
    } finally {
      first.setFault(fid, null);
    }
  });

  itLocalOnly(
    "moves on when a storage node is slower than storage.readTimeout",
    "injects faults",
    async () => {
      const body = randomBytes(5000);
      const fid = await replicated("slow.bin", body);
      const first = await firstTried("slow.bin", fid);
      first.setFault(fid, { kind: "slow", delayMs: 3000 });
      const hitsBefore = first.hits(fid);
      try {
        const started = Date.now();
        const reply = await fetchRaw(url("slow.bin"));
        expect(reply.status).toBe(200);
        expect(sha(reply.body)).toBe(sha(body));
        // The faulty node was asked first, then the gateway moved on.
        expect(first.hits(fid)).toBe(hitsBefore + 1);
        // One readTimeout (1 s) spent on the slow node, never its 3 s.
        expect(Date.now() - started).toBeLessThan(2900);
      } finally {
        first.setFault(fid, null);
      }
    },
  );

  itLocalOnly(
    "cuts the client off when storage drops the connection mid-body",
    "injects faults",
    async () => {
      const body = randomBytes(4 * 1024 * 1024);
      const fid = await replicated("dropped.bin", body);
      for (const proxy of proxies) {
        proxy.setFault(fid, { kind: "drop-mid-body", after: 100_000 });
      }
      try {
        const outcome = await new Promise<{
          status: number;
          length: number;
          declared: number;
          complete: boolean;
        }>((done) => {
          request(url("dropped.bin"), (res) => {
            let length = 0;
            res.on("data", (chunk: Buffer) => {
              length += chunk.length;
            });
            const finish = () =>
              done({
                status: res.statusCode ?? 0,
                length,
                declared: Number(res.headers["content-length"] ?? -1),
                complete: res.complete,
              });
            res.on("end", finish);
            res.on("error", finish);
            res.on("aborted", finish);
            res.on("close", finish);
          })
            .on("error", () => done({ status: 0, length: 0, declared: -1, complete: false }))
            .end();
        });
        // Never a complete-looking short 200: either an error status, or a transfer
        // the client can tell was cut (fewer bytes than declared, not complete).
        if (outcome.status === 200) {
          expect(outcome.complete).toBe(false);
          expect(outcome.length).toBeLessThan(outcome.declared);
        } else {
          expect(outcome.status).toBeGreaterThanOrEqual(500);
        }
      } finally {
        for (const proxy of proxies) {
          proxy.setFault(fid, null);
        }
      }
    },
  );
});

describe("tracker faults", () => {
  itLocalOnly(
    "serves through a slow tracker, and around one slower than tracker.readTimeout",
    "injects faults",
    async () => {
      const c = cluster();
      const slow = await startSlowTracker(c.trackers[0].address);
      const own = await startGateway({
        trackers: [slow.address, c.trackers[1].address],
        config: { tracker: { readTimeout: "1s", failTimeout: "1s" } },
        serverExtra: location(c.domain),
      });
      onTestFailed(() => console.error(`slow-tracker gateway log:\n${own.errorLog()}`));
      try {
        for (const delay of [300, 2000]) {
          slow.setDelay(delay);
          for (let i = 0; i < 3; i++) {
            const key = `${prefix}slow-tracker-${delay}-${i}`;
            await storeFile(c.trackers[1].address, c.domain, key, key);
            const reply = await fetchRaw(`${own.url}/files/${key}`);
            expect(reply.status).toBe(200);
            expect(reply.body.toString()).toBe(key);
          }
        }
      } finally {
        await own.stop();
        await slow.close();
      }
    },
  );
});

describe("the database", () => {
  itLocalOnly(
    "stopped: cached reads go on, uncached ones and writes fail clearly; back: all resumes",
    "stops MariaDB",
    async () => {
      const c = cluster();
      const gw = g();
      const body = Buffer.from("cached before the database went away");
      await storeFile(c.trackers[0].address, c.domain, `${prefix}db-cached`, body);
      await storeFile(c.trackers[0].address, c.domain, `${prefix}db-uncached`, "never looked up");
      expect((await fetchRaw(url("db-cached"))).status).toBe(200);
      await c.stopDatabase();
      try {
        // Past the 3 s TTL (nginx counts whole seconds) the cached answer is stale, and still served.
        await new Promise((r) => setTimeout(r, 4200));
        const cached = await fetchRaw(url("db-cached"));
        expect(cached.status).toBe(200);
        expect(cached.body.equals(body)).toBe(true);
        const uncached = await fetchRaw(url("db-uncached"));
        expect(uncached.status).toBe(502);
        const write = await fetchRaw(url("db-write"), { method: "PUT", body: Buffer.from("x") });
        expect([502, 503]).toContain(write.status);
        expect(write.body.toString()).toMatch(/^(Bad Gateway|Service Unavailable): /);
        // "failure" from a tracker, or none left to ask once both failed lookups.
        expect(gw.errorLog()).toMatch(/mogilefs: create_open: (failure|no tracker answered)/);
      } finally {
        await c.startDatabase();
        closeTrackerConnections();
      }
      // No nginx restart: once a tracker reaches the database again, all works.
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await fetchRaw(url("db-write"), { method: "PUT", body: Buffer.from("after") }))
          .status;
        if (status === 201) {
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(status).toBe(201);
      expect((await fetchRaw(url("db-uncached"))).body.toString()).toBe("never looked up");
    },
  );
});

describe("everything restarted", () => {
  itLocalOnly(
    "trackers, storage nodes and database restarted: nginx serves on without a restart",
    "restarts daemons",
    async () => {
      const c = cluster();
      const gw = g();
      const before = gw.workerPids();
      await Promise.all([c.killTracker(0), c.killTracker(1), c.killStorage(0), c.killStorage(1)]);
      await c.stopDatabase();
      await c.startDatabase();
      await Promise.all([c.startStorage(0), c.startStorage(1)]);
      await c.startTracker(0);
      await c.startTracker(1);
      closeTrackerConnections();
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (
          await fetchRaw(url("after-restart"), { method: "PUT", body: Buffer.from("again") })
        ).status;
        if (status === 201) {
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(status).toBe(201);
      expect((await fetchRaw(url("after-restart"))).body.toString()).toBe("again");
      expect(gw.workerPids()).toEqual(before);
    },
  );
});
