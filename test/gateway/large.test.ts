// The heavy suite: a 1 GiB PUT and GET through the gateway with nginx worker
// memory watched throughout. Bodies are generated and hashed as streams, so the
// test process never holds a gigabyte either.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, expect, it, onTestFailed } from "vitest";
import { printLogsOnFailure, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { type Gateway, startGateway } from "./gateway";
import { mogilefsLocation } from "./suite";

const GIB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;

const cluster = useCluster({ trackers: 1, storageHosts: 2 });
const prefix = uniquePrefix("large");
let gateway: Gateway | undefined;

afterAll(async () => {
  await gateway?.stop();
});

// Chunk i is a random block with its index written over the first bytes, so no
// two chunks are alike and a misplaced chunk changes the hash.
function chunk(base: Buffer, i: number): Buffer {
  const out = Buffer.from(base);
  out.writeUInt32BE(i, 0);
  return out;
}

function rssKb(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      return (
        sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0)
      );
    } catch {
      return sum;
    }
  }, 0);
}

// Samples the workers' resident memory until stopped; returns the peak.
function watchMemory(pids: number[]): () => number {
  let peak = rssKb(pids);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssKb(pids));
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssKb(pids));
  };
}

function upload(url: string, base: Buffer, size: number): Promise<{ status: number; sha: string }> {
  const hash = createHash("sha256");
  return new Promise((done, fail) => {
    const req = request(
      url,
      { method: "PUT", headers: { "Content-Length": String(size) } },
      (res) => {
        res.resume();
        res.on("end", () => done({ status: res.statusCode ?? 0, sha: hash.digest("hex") }));
      },
    );
    req.on("error", fail);
    let i = 0;
    const pump = () => {
      while (i * CHUNK < size) {
        const piece = chunk(base, i++);
        hash.update(piece);
        if (!req.write(piece)) {
          req.once("drain", pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

function download(url: string): Promise<{ status: number; sha: string; length: number }> {
  const hash = createHash("sha256");
  let length = 0;
  return new Promise((done, fail) => {
    request(url, (res) => {
      res.on("data", (piece: Buffer) => {
        hash.update(piece);
        length += piece.length;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, sha: hash.digest("hex"), length }));
      res.on("error", fail);
    })
      .on("error", fail)
      .end();
  });
}

it("stores and serves 1 GiB with nginx worker memory growing under 10 MB", async () => {
  printLogsOnFailure(cluster);
  const c = cluster();
  gateway = await startGateway({
    trackers: c.trackers.map((t) => t.address),
    serverExtra: mogilefsLocation("/files/", { domain: c.domain, methods: "GET HEAD PUT DELETE" }, [
      "client_max_body_size 0;",
    ]),
  });
  const g = gateway;
  onTestFailed(() => console.error(`gateway error log:\n${g.errorLog()}`));
  const url = `${g.url}/files/${prefix}one-gib.bin`;
  const pids = g.workerPids();
  const before = rssKb(pids);

  const stopPut = watchMemory(pids);
  const put = await upload(url, randomBytes(CHUNK), GIB);
  const putPeak = stopPut();
  expect(put.status).toBe(201);

  const stopGet = watchMemory(pids);
  const got = await download(url);
  const getPeak = stopGet();
  expect(got.status).toBe(200);
  expect(got.length).toBe(GIB);
  expect(got.sha).toBe(put.sha);

  console.info(
    `1 GiB: worker RSS ${before} kB before, peak ${putPeak} kB during PUT, ${getPeak} kB during GET`,
  );
  expect(putPeak - before).toBeLessThan(10 * 1024);
  expect(getPeak - before).toBeLessThan(10 * 1024);
}, 600_000);
