// GET and HEAD through the gateway: real nginx with the built module, the local
// cluster (or an external one), keys stored the way any MogileFS client does.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import mysql from "mysql2/promise";
import { describe, expect, it, onTestFailed } from "vitest";
import { closeTrackerConnections, trackerCommand } from "../cluster/client";
import { eventually, pathsFor, storeFile } from "../cluster/files";
import { isExternal } from "../cluster/harness";
import type { DbConfig } from "../cluster/mariadb";
import { itLocalOnly, uniquePrefix, useCluster } from "../cluster/vitest-cluster";
import { fetchRaw, type Gateway, startGateway } from "./gateway";
import { gatewayLogsOnFailure, mogilefsLocation, useGateway } from "./suite";

const cluster = useCluster({
  trackers: 2,
  storageHosts: 2,
  domains: [{ name: "files", classes: [{ name: "two", mindevcount: 2 }] }],
});
const prefix = uniquePrefix("read");

// One gateway for the file, with the locations set up the way an operator writes them.
const gateway = useGateway(
  () => ({
    config: {
      cache: { ttl: "2s", unknownKeyTtl: "1s" },
      storage: { connectTimeout: "1s", readTimeout: "2s" },
      tracker: { readTimeout: "1s", failTimeout: "1s" },
    },
    serverExtra: [
      mogilefsLocation("/files/", { domain: cluster().domain }),
      mogilefsLocation("/browse/", { domain: cluster().domain, list: "on" }),
      mogilefsLocation("/nodomain/", { domain: "njs-mogilefs-no-such-domain" }),
      mogilefsLocation("~ ^/by-arg/", { domain: cluster().domain, key: "$arg_k" }),
    ].join(""),
  }),
  cluster,
);

function keyUrl(g: Gateway, key: string): string {
  return `${g.url}/files/${key.split("/").map(encodeURIComponent).join("/")}`;
}

async function storeAndWait(key: string, body: Buffer, copies = 1): Promise<void> {
  const c = cluster();
  // Class "two" keeps two copies; an external cluster's domain may only have
  // its default class, and the tests that need two copies run locally only.
  await storeFile(c.trackers[0].address, c.domain, key, body, { class: copies > 1 ? "two" : "" });
  if (copies > 1) {
    await eventually(
      `${key} on ${copies} copies`,
      () => pathsFor(c.trackers[0].address, c.domain, key),
      (paths) => paths.length >= copies,
    );
  }
}

// nginx skips a tracker that failed for tracker.failTimeout (1 s here): wait it
// out after bringing trackers back, so the next test starts with both usable.
function trackersCountAgain(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1200));
}

// nginx writes an access log line after the response is sent: wait for it.
async function accessLines(
  g: Gateway,
  match: (line: string) => boolean,
  count: number,
): Promise<string[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const lines = g.accessLog().split("\n").filter(match);
    if (lines.length >= count || Date.now() > deadline) {
      return lines;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function logsOnFailure(): Promise<void> {
  const g = await gateway();
  gatewayLogsOnFailure(cluster, g, () => `\naccess log:\n${g.accessLog().slice(-3000)}`);
}

describe("reading a stored key", () => {
  it("serves the bytes, with Content-Type from the key's extension", async () => {
    await logsOnFailure();
    const g = await gateway();
    const body = randomBytes(10_000);
    await storeAndWait(`${prefix}photo.jpg`, body);
    const reply = await fetchRaw(keyUrl(g, `${prefix}photo.jpg`));
    expect(reply.status).toBe(200);
    expect(sha(reply.body)).toBe(sha(body));
    expect(reply.headers["content-type"]).toBe("image/jpeg");
    expect(reply.headers["content-length"]).toBe("10000");
  });

  it("answers HEAD with the length and no body", async () => {
    await logsOnFailure();
    const g = await gateway();
    await storeAndWait(`${prefix}head.txt`, Buffer.from("twelve bytes"));
    const reply = await fetchRaw(keyUrl(g, `${prefix}head.txt`), { method: "HEAD" });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-length"]).toBe("12");
    expect(reply.headers["content-type"]).toBe("text/plain");
    expect(reply.body.length).toBe(0);
  });

  it("serves keys with & = + % space ' @ / and unicode", async () => {
    await logsOnFailure();
    const g = await gateway();
    const names = [
      "a&b=c",
      "plus+sign",
      "100%",
      "with space",
      "it's",
      "at@host",
      "deep/er/path",
      "ключ-鍵-ü",
    ];
    for (const name of names) {
      const key = `${prefix}hostile/${name}`;
      const body = Buffer.from(`content of ${name}`);
      await storeAndWait(key, body);
      const reply = await fetchRaw(keyUrl(g, key));
      expect(reply.status, name).toBe(200);
      expect(reply.body.toString(), name).toBe(body.toString());
    }
  });

  it("takes the key from $mogilefs_key when the location sets it", async () => {
    await logsOnFailure();
    const g = await gateway();
    await storeAndWait(`${prefix}by-arg`, Buffer.from("found by argument"));
    // $arg_k is not URL-decoded by nginx: the key goes in raw.
    const reply = await fetchRaw(`${g.url}/by-arg/anything?k=${prefix}by-arg`);
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe("found by argument");
  });

  it("answers Range requests with 206 and the asked bytes, and 416 past the end", async () => {
    await logsOnFailure();
    const g = await gateway();
    const body = randomBytes(5000);
    await storeAndWait(`${prefix}range.bin`, body);
    const part = await fetchRaw(keyUrl(g, `${prefix}range.bin`), {
      headers: { Range: "bytes=100-199" },
    });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe("bytes 100-199/5000");
    expect(part.body.equals(body.subarray(100, 200))).toBe(true);
    const past = await fetchRaw(keyUrl(g, `${prefix}range.bin`), {
      headers: { Range: "bytes=9000-" },
    });
    expect(past.status).toBe(416);
  });

  it("answers 304 to If-None-Match with the storage node's ETag", async () => {
    await logsOnFailure();
    const g = await gateway();
    await storeAndWait(`${prefix}etag.txt`, Buffer.from("validators"));
    const first = await fetchRaw(keyUrl(g, `${prefix}etag.txt`));
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await fetchRaw(keyUrl(g, `${prefix}etag.txt`), {
      headers: { "If-None-Match": etag },
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it("answers 304 to If-Modified-Since with the storage node's Last-Modified", async () => {
    await logsOnFailure();
    const g = await gateway();
    await storeAndWait(`${prefix}ims.txt`, Buffer.from("dated"));
    const first = await fetchRaw(keyUrl(g, `${prefix}ims.txt`));
    const modified = first.headers["last-modified"] as string;
    expect(modified).toBeTruthy();
    const again = await fetchRaw(keyUrl(g, `${prefix}ims.txt`), {
      headers: { "If-Modified-Since": modified },
    });
    expect(again.status).toBe(304);
    const older = await fetchRaw(keyUrl(g, `${prefix}ims.txt`), {
      headers: { "If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT" },
    });
    expect(older.status).toBe(200);
    expect(older.body.toString()).toBe("dated");
  });

  it("forwards no client header but the ones storage needs", async () => {
    await logsOnFailure();
    const g = await gateway();
    await storeAndWait(`${prefix}private.txt`, Buffer.from("x"));
    const reply = await fetchRaw(keyUrl(g, `${prefix}private.txt`), {
      headers: { Cookie: "session=secret", Authorization: "Basic c2VjcmV0" },
    });
    expect(reply.status).toBe(200);
    // The storage node's access log would show them; the gateway must not pass them.
    expect(reply.headers["x-mogilefs-path1"]).toBeUndefined();
    expect(reply.headers["x-mogilefs-tracker"]).toBeUndefined();
  });
});

describe("status codes", () => {
  it("answers 404 for an unknown key, with a plain-text body and the tracker's code logged", async () => {
    await logsOnFailure();
    const g = await gateway();
    const reply = await fetchRaw(keyUrl(g, `${prefix}never-stored`));
    expect(reply.status).toBe(404);
    expect(reply.headers["content-type"]).toBe("text/plain");
    expect(reply.body.toString()).toBe("Not Found\n");
    expect(g.errorLog()).toContain(
      `mogilefs: unknown_key: domain "${cluster().domain}" key "${prefix}never-stored"`,
    );
  });

  it("refuses an empty key, a key over 255 bytes and control bytes with 400, without a lookup", async () => {
    await logsOnFailure();
    const g = await gateway();
    const cases: Array<[string, string]> = [
      [`${g.url}/files/`, "empty key"],
      [`${g.url}/files/${"k".repeat(256)}`, "key longer than 255 bytes"],
      [`${g.url}/files/${"é".repeat(128)}`, "key longer than 255 bytes"],
      [`${g.url}/files/a%0Ab`, "key with a control byte"],
      [`${g.url}/files/a%0Db`, "key with a control byte"],
      [`${g.url}/files/a%7Fb`, "key with a control byte"],
    ];
    for (const [url, reason] of cases) {
      const reply = await fetchRaw(url);
      expect(reply.status, url).toBe(400);
      expect(reply.body.toString(), url).toBe(`Bad Request: ${reason}\n`);
    }
    // A 255-byte key is fine (unknown, so 404): the limit is in bytes.
    expect((await fetchRaw(`${g.url}/files/${"k".repeat(255)}`)).status).toBe(404);
    const refused = await accessLines(g, (line) => line.includes(" 400 "), cases.length);
    // No lookup ran: the cache status stays empty ("-") for every refused request.
    for (const line of refused) {
      expect(line).toContain("cache=- ");
    }
  });

  it("answers 500 naming the domain when the tracker does not know it", async () => {
    await logsOnFailure();
    const g = await gateway();
    const reply = await fetchRaw(`${g.url}/nodomain/some-key`);
    expect(reply.status).toBe(500);
    expect(reply.body.toString()).toBe("Internal Server Error: unknown domain\n");
    expect(g.errorLog()).toContain(
      'unreg_domain: the tracker does not know domain "njs-mogilefs-no-such-domain"',
    );
  });

  it("answers 405 with Allow for a method the location does not allow", async () => {
    await logsOnFailure();
    const g = await gateway();
    for (const method of ["PUT", "DELETE", "POST", "PATCH"]) {
      const reply = await fetchRaw(keyUrl(g, `${prefix}x`), { method, body: Buffer.from("data") });
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow, method).toBe("GET, HEAD");
    }
  });
});

describe("internal locations", () => {
  it("cannot be reached by a client", async () => {
    await logsOnFailure();
    const g = await gateway();
    const targets = [
      "/_mogilefs/lookup",
      `/_mogilefs/tracker/get_paths?domain=${cluster().domain}&key=x`,
      `/_mogilefs/tracker/delete?domain=${cluster().domain}&key=x`,
      "/_mogilefs/store",
      "/_mogilefs/declarations",
    ];
    for (const target of targets) {
      for (const method of ["GET", "PUT", "POST"]) {
        const reply = await fetchRaw(`${g.url}${target}`, { method, body: Buffer.from("x") });
        expect(reply.status, `${method} ${target}`).toBe(404);
        expect(reply.headers["x-mogilefs-tracker"], target).toBeUndefined();
      }
    }
    // Named locations have no URI at all: this is just a file nginx does not have.
    const named = await fetchRaw(`${g.url}/@mogilefs_failed`);
    expect(named.status).toBe(404);
    expect(named.headers["content-type"]).toBe("text/html");
  });
});

describe("storage.allow", () => {
  itLocalOnly(
    "proxies only to storage hosts inside the allowed networks",
    "needs hosts on two addresses",
    async () => {
      await logsOnFailure();
      const c = cluster();
      const own = await startGateway({
        trackers: c.trackers.map((t) => t.address),
        config: { storage: { allow: [`${c.storage[1].ip}/32`] } },
        serverExtra: `location /files/ { set $mogilefs_domain ${c.domain}; include conf/location.conf; }`,
      });
      onTestFailed(() => console.error(`storage.allow gateway log:\n${own.errorLog()}`));
      try {
        const both = `${prefix}allow-both.bin`;
        const body = randomBytes(2000);
        await storeAndWait(both, body, 2);
        for (let i = 0; i < 3; i++) {
          const reply = await fetchRaw(`${own.url}/files/${both}`);
          expect(reply.status).toBe(200);
          expect(sha(reply.body)).toBe(sha(body));
        }
        // A file only on the host outside the allowed network is not fetched at all
        // (stored while the allowed host is down, so it cannot be replicated there).
        await c.killStorage(1);
        try {
          const onlyOutside = `${prefix}allow-outside.txt`;
          await storeFile(c.trackers[0].address, c.domain, onlyOutside, "outside");
          const reply = await fetchRaw(`${own.url}/files/${onlyOutside}`);
          expect(reply.status).toBe(503);
          expect(own.errorLog()).toMatch(/mogilefs: no_paths: .*allow-outside/);
        } finally {
          await c.startStorage(1);
        }
        expect(own.errorLog()).not.toMatch(
          new RegExp(`upstream: "http://${c.storage[0].ip.replace(/\./g, "\\.")}`),
        );
      } finally {
        await own.stop();
      }
    },
  );
});

describe("the lookup cache", () => {
  it("looks a key up once, then serves from the cache until the TTL ends", async () => {
    await logsOnFailure();
    const g = await gateway();
    const key = `${prefix}cached.txt`;
    await storeAndWait(key, Buffer.from("cached"));
    for (let i = 0; i < 3; i++) {
      expect((await fetchRaw(keyUrl(g, key))).status).toBe(200);
    }
    // nginx counts cache validity in whole seconds: 2 s may take up to 3 s.
    await new Promise((r) => setTimeout(r, 3200));
    expect((await fetchRaw(keyUrl(g, key))).status).toBe(200);
    const statuses = (await accessLines(g, (line) => line.includes("cached.txt"), 4)).map(
      (line) => /cache=(\S*)/.exec(line)?.[1],
    );
    expect(statuses).toEqual(["MISS", "HIT", "HIT", "EXPIRED"]);
  });

  it("logs which tracker answered and which path served", async () => {
    await logsOnFailure();
    const g = await gateway();
    const key = `${prefix}logged.txt`;
    await storeAndWait(key, Buffer.from("logged"));
    await fetchRaw(keyUrl(g, key));
    const [line] = await accessLines(g, (l) => l.includes("logged.txt"), 1);
    const trackers = cluster().trackers.map((t) => t.address);
    const tracker = /tracker=(\S+)/.exec(line ?? "")?.[1];
    expect(trackers).toContain(tracker);
    expect(line).toMatch(/path=http:\/\/127\.0\.0\.\d+:\d+\/dev\d+\/\S+\.fid attempts=1/);
  });
});

describe("failover", () => {
  itLocalOnly(
    "serves from the second replica when the first storage node is down",
    "stops a storage node",
    async () => {
      await logsOnFailure();
      const g = await gateway();
      const c = cluster();
      const key = `${prefix}replicated.bin`;
      const body = randomBytes(20_000);
      await storeAndWait(key, body, 2);
      expect(sha((await fetchRaw(keyUrl(g, key))).body)).toBe(sha(body));
      await c.killStorage(0);
      try {
        // Both orders of the paths must work: ask several times.
        for (let i = 0; i < 4; i++) {
          const reply = await fetchRaw(keyUrl(g, key));
          expect(reply.status).toBe(200);
          expect(sha(reply.body)).toBe(sha(body));
        }
      } finally {
        await c.startStorage(0);
      }
    },
  );

  itLocalOnly("serves from the other tracker when one is down", "stops a tracker", async () => {
    await logsOnFailure();
    const g = await gateway();
    const c = cluster();
    await c.killTracker(0);
    try {
      for (let i = 0; i < 4; i++) {
        const key = `${prefix}tracker-down-${i}.txt`;
        await storeFile(c.trackers[1].address, c.domain, key, `body ${i}`);
        const reply = await fetchRaw(keyUrl(g, key));
        expect(reply.status).toBe(200);
        expect(reply.body.toString()).toBe(`body ${i}`);
      }
    } finally {
      await c.startTracker(0);
      await trackersCountAgain();
    }
  });

  itLocalOnly(
    "answers 502 when no tracker is reachable, and keeps serving cached paths",
    "stops every tracker",
    async () => {
      await logsOnFailure();
      const g = await gateway();
      const c = cluster();
      const key = `${prefix}stale.txt`;
      await storeAndWait(key, Buffer.from("still here"));
      expect((await fetchRaw(keyUrl(g, key))).status).toBe(200);
      await c.killTracker(0);
      await c.killTracker(1);
      try {
        // Past the TTL, the cached answer is stale but still used.
        // nginx counts cache validity in whole seconds: 2 s may take up to 3 s.
        await new Promise((r) => setTimeout(r, 3200));
        const stale = await fetchRaw(keyUrl(g, key));
        expect(stale.status).toBe(200);
        expect(stale.body.toString()).toBe("still here");
        const unknown = await fetchRaw(keyUrl(g, `${prefix}not-cached`));
        expect(unknown.status).toBe(502);
        expect(unknown.body.toString()).toBe("Bad Gateway: no tracker reachable\n");
        expect(g.errorLog()).toMatch(/mogilefs: no tracker answered/);
      } finally {
        await c.startTracker(0);
        await c.startTracker(1);
        closeTrackerConnections();
      }
      // Service resumes without touching nginx once a tracker is back.
      const key2 = `${prefix}after-restart.txt`;
      await storeAndWait(key2, Buffer.from("back"));
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await fetchRaw(keyUrl(g, key2))).status;
        if (status === 200) {
          break;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(status).toBe(200);
    },
  );

  it("asks the tracker again when every cached path answers 404", async () => {
    await logsOnFailure();
    const g = await gateway();
    const c = cluster();
    const key = `${prefix}overwritten.txt`;
    await storeAndWait(key, Buffer.from("old content"));
    expect((await fetchRaw(keyUrl(g, key))).body.toString()).toBe("old content");
    // Overwrite behind the gateway's back; the old fid is then deleted from storage.
    const oldPaths = await trackerCommand(c.trackers[0].address, "get_paths", {
      domain: c.domain,
      key,
      noverify: "1",
    });
    await storeAndWait(key, Buffer.from("new content"));
    const oldUrl = oldPaths.kind === "ok" ? oldPaths.args.path1 : "";
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await fetchRaw(oldUrl)).status !== 404) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const reply = await fetchRaw(keyUrl(g, key));
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe("new content");
  });
});

describe("more failover", () => {
  itLocalOnly(
    "moves on when a storage node answers 404 for its replica",
    "deletes a replica",
    async () => {
      await logsOnFailure();
      const g = await gateway();
      const key = `${prefix}one-replica-gone.bin`;
      const body = randomBytes(3000);
      await storeAndWait(key, body, 2);
      // The first read caches the lookup and shows which path the gateway tries first.
      expect((await fetchRaw(keyUrl(g, key))).status).toBe(200);
      const [first] = await accessLines(g, (l) => l.includes("one-replica-gone.bin"), 1);
      const firstPath = /path=(\S+) attempts=1/.exec(first)?.[1] ?? "";
      // Remove that replica behind the tracker's back: the same cached order now
      // meets a 404 first.
      expect((await fetchRaw(firstPath, { method: "DELETE" })).status).toBe(204);
      const reply = await fetchRaw(keyUrl(g, key));
      expect(reply.status).toBe(200);
      expect(sha(reply.body)).toBe(sha(body));
      const lines = await accessLines(g, (l) => l.includes("one-replica-gone.bin"), 2);
      expect(lines[1]).toContain("attempts=2");
      expect(lines[1]).not.toContain(firstPath);
    },
  );

  itLocalOnly("moves on when a storage node hangs", "pauses a storage node", async () => {
    await logsOnFailure();
    const g = await gateway();
    const c = cluster();
    const key = `${prefix}hung-storage.bin`;
    const body = randomBytes(3000);
    await storeAndWait(key, body, 2);
    c.pauseStorage(0);
    try {
      for (let i = 0; i < 2; i++) {
        const reply = await fetchRaw(keyUrl(g, key));
        expect(reply.status).toBe(200);
        expect(sha(reply.body)).toBe(sha(body));
      }
    } finally {
      await c.resumeStorage(0);
    }
  });

  itLocalOnly("asks the other tracker when one hangs", "pauses a tracker", async () => {
    await logsOnFailure();
    const g = await gateway();
    const c = cluster();
    const keys = [0, 1, 2].map((i) => `${prefix}hung-tracker-${i}.txt`);
    for (const key of keys) {
      await storeAndWait(key, Buffer.from(key));
    }
    c.pauseTracker(0);
    try {
      for (const key of keys) {
        const reply = await fetchRaw(keyUrl(g, key));
        expect(reply.status).toBe(200);
        expect(reply.body.toString()).toBe(key);
      }
    } finally {
      c.resumeTracker(0);
      await trackersCountAgain();
    }
  });

  itLocalOnly("answers 504 when every tracker hangs", "pauses every tracker", async () => {
    await logsOnFailure();
    const g = await gateway();
    const c = cluster();
    c.pauseTracker(0);
    c.pauseTracker(1);
    try {
      const reply = await fetchRaw(keyUrl(g, `${prefix}hung-everywhere`));
      expect(reply.status).toBe(504);
      expect(reply.body.toString()).toBe("Gateway Timeout: no tracker answered in time\n");
    } finally {
      c.resumeTracker(0);
      c.resumeTracker(1);
      await trackersCountAgain();
    }
  });

  itLocalOnly(
    "answers 503 when the tracker lists no path for the file",
    "edits the database",
    async () => {
      await logsOnFailure();
      const g = await gateway();
      const c = cluster();
      const key = `${prefix}no-paths.txt`;
      const stored = await storeFile(c.trackers[0].address, c.domain, key, "lost");
      // Every replica lost: the file row stays, file_on has nothing left.
      const db = await mysql.createConnection({ ...(c.db as DbConfig) });
      try {
        await db.query("DELETE FROM file_on WHERE fid = ?", [stored.fid]);
      } finally {
        await db.end();
      }
      const reply = await fetchRaw(keyUrl(g, key));
      expect(reply.status).toBe(503);
      expect(reply.body.toString()).toBe("Service Unavailable: no storage holds the file\n");
      expect(g.errorLog()).toMatch(/mogilefs: no_paths: .*no-paths\.txt/);
    },
  );

  it("skips a tracker that answers garbage", async () => {
    await logsOnFailure();
    const c = cluster();
    const garbage = createServer((socket) => {
      socket.on("data", () => socket.write("HTTP/1.0 200 OK\r\n"));
    });
    await new Promise<void>((done) => garbage.listen(0, "127.0.0.1", done));
    const port = (garbage.address() as AddressInfo).port;
    const own = await startGateway({
      trackers: [`127.0.0.1:${port}`, c.trackers[0].address],
      serverExtra: `location /files/ { set $mogilefs_domain ${c.domain}; include conf/location.conf; }`,
    });
    try {
      const key = `${prefix}garbage-tracker.txt`;
      await storeAndWait(key, Buffer.from("answered by the good tracker"));
      for (let i = 0; i < 3; i++) {
        const reply = await fetchRaw(`${own.url}/files/${key}`);
        expect(reply.status, own.errorLog()).toBe(200);
        expect(reply.body.toString()).toBe("answered by the good tracker");
      }
    } finally {
      await own.stop();
      garbage.close();
    }
  });
});

describe("listing", () => {
  it("lists a domain's keys as JSON, page by page, where the location enables it", async () => {
    await logsOnFailure();
    const g = await gateway();
    const listPrefix = `${prefix}list/`;
    for (const name of ["a", "b c", "d&e"]) {
      await storeAndWait(`${listPrefix}${name}`, Buffer.from(name));
    }
    const page = async (query: string) => {
      const reply = await fetchRaw(`${g.url}/browse/?${query}`);
      expect(reply.status).toBe(200);
      expect(reply.headers["content-type"]).toBe("application/json");
      return JSON.parse(reply.body.toString());
    };
    const first = await page(`prefix=${encodeURIComponent(listPrefix)}&limit=2`);
    expect(first.keys).toEqual([`${listPrefix}a`, `${listPrefix}b c`]);
    expect(first.next_after).toBe(`${listPrefix}b c`);
    const second = await page(
      `prefix=${encodeURIComponent(listPrefix)}&limit=2&after=${encodeURIComponent(first.next_after)}`,
    );
    expect(second.keys).toEqual([`${listPrefix}d&e`]);
    expect(second.next_after).toBeNull();
    const none = await page(`prefix=${encodeURIComponent(`${prefix}nothing-here/`)}`);
    expect(none.keys).toEqual([]);
    expect((await fetchRaw(`${g.url}/browse/?limit=0`)).status).toBe(400);
    // Without `list`, the prefix itself is an empty key.
    expect((await fetchRaw(`${g.url}/files/?prefix=x`)).status).toBe(400);
  });
});

describe("large files", () => {
  it("streams a 50 MB file byte-identical with flat worker memory", async () => {
    await logsOnFailure();
    const g = await gateway();
    const body = randomBytes(50 * 1024 * 1024);
    const key = `${prefix}large.bin`;
    await storeAndWait(key, body);
    const rss = () =>
      g.workerPids().reduce((sum, pid) => {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        return sum + Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      }, 0);
    await fetchRaw(keyUrl(g, `${prefix}warm-up`));
    const before = rss();
    const reply = await fetchRaw(keyUrl(g, key), { timeoutMs: 60_000 });
    const after = rss();
    expect(reply.status).toBe(200);
    expect(sha(reply.body)).toBe(sha(body));
    expect(after - before).toBeLessThan(5 * 1024);
  });
});

if (isExternal()) {
  console.info("read suite: external cluster, failover tests that stop daemons are skipped");
}
